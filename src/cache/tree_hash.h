// DVC 3's directory hash: the `.dir` object's bytes and its md5.
//
// The rule (iterative/dvc-data, src/dvc_data/hashfile/tree.py at b9ec41c4):
//   - `Tree.as_list` (lines 133-155): one {"md5": <file md5>, "relpath":
//     <'/'-joined path>} dict per file, sorted by relpath (Python str order,
//     i.e. code point order, which equals UTF-8 byte order).
//   - `Tree.as_bytes` (lines 159-162): json.dumps(that list, sort_keys=True)
//     encoded as UTF-8 (ASCII, since json.dumps escapes non-ASCII).
//   - `Tree.digest` (lines 82-97): the md5 of those bytes plus ".dir".
//   - src/dvc_data/hashfile/build.py `_build_tree`: only files are entries
//     (empty directories leave no trace); size is the sum of file sizes and
//     nfiles the number of files.
// The empty directory hashes to md5("[]") = d751713988987e9331980363e24189ce.dir.
//
// Thread safety: pure functions.
#pragma once

#include <string_view>
#include <vector>

#include "cache/hash_info.h"
#include "common/status.h"

namespace conveyor {

// Builds the tree of `entries` (any order; sorted here). Each relpath must be
// valid UTF-8, non-empty and unique (kInvalid otherwise, naming it).
Result<Tree> BuildTree(std::vector<TreeEntry> entries);

// Reads a `.dir` object's bytes back. Extra keys DVC may write (e.g. "size"
// with `with_meta`) are accepted; an entry's size is taken from "size" when
// present, else 0. The result's hash is md5(json) + ".dir" with size the sum
// of the known sizes. Errors (kInvalid) say what is malformed.
Result<Tree> ParseTree(std::string_view json);

}  // namespace conveyor
