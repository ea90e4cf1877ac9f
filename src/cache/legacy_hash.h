// DVC 2's md5 ("md5-dos2unix"), for dvc.lock and .dvc entries written before
// DVC 3 (entries without `hash: md5`). DVC 3 trusts such an entry while the
// data's DVC 2 digest still matches, and writes a DVC 3 entry once it runs
// the stage again; conveyor does the same.
//
// The rule (DVC 2.x, dvc/utils/__init__.py file_md5 and dvc/istextfile.py):
// a file whose first 512 bytes contain no NUL and at most 30% bytes outside
// printable ASCII and "\n\r\t\f\b" is text, and is hashed with every "\r\n"
// replaced by "\n" within each 1 MiB read (a pair split across two reads is
// left as it is, as DVC 2 did); any other file is hashed as it is. A
// directory is the .dir hash of its files' DVC 2 digests.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "cache/dvcignore.h"
#include "common/status.h"

namespace conveyor {

// True when DVC 2 would treat a file starting with `block` as text.
bool IsTextBlock(std::string_view block);

// The DVC 2 md5 of a file, or of a directory (with ".dir"). `rules` (may be
// null) apply to directories as in Hasher; `relpath` is `path` relative to
// rules->root().
Result<std::string> LegacyMd5(const std::filesystem::path& path, IgnoreRules* rules,
                              std::string_view relpath);

}  // namespace conveyor
