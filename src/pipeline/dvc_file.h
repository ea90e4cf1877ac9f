// `.dvc` files as `dvc add` writes them (DVC 3), and the .gitignore entry
// that goes with them.
//
//   outs:
//   - md5: 3863d0e317dee0a55c4e59d2ec0eef33.dir   # Output.dumpd order:
//     size: 1024                                  #   md5, size, nfiles,
//     nfiles: 3                                   #   isexec, hash, path,
//     hash: md5                                   #   then desc, type,
//     path: data                                  #   labels, meta, cache,
//                                                 #   persist, remote, push
//
// Top-level keys of a new file follow DVC's get_dump order (desc, frozen,
// outs, meta). Rewriting a file that was read keeps the key order it had,
// appending new keys, as DVC's apply_diff does; comments are not kept.
//
// Supported: `dvc add` files (outs with the fields above; top-level desc,
// frozen, meta). Rejected with a clear error: import and command stages
// (deps, md5, cmd, wdir), cloud/versioned fields (etag, version_id, cloud,
// files), metric and plot outs.
//
// Thread safety: plain values and free functions.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>  // DvcOut and DvcFile hold ordered_json by value
#include <string>
#include <string_view>
#include <vector>

#include "cache/hash_info.h"
#include "common/status.h"

namespace conveyor {

struct DvcOut {
  std::string path;            // relative to the .dvc file's directory, '/'-separated
  HashInfo hash;               // empty md5: not hashed yet (only `path` and flags are written)
  bool has_hash_field = true;  // `hash: md5`; false for DVC 2 entries
  bool isexec = false;
  // Annotations (dvc/annotations.py) and flags, written only when set.
  std::string desc;
  std::string type;
  std::vector<std::string> labels;
  nlohmann::ordered_json meta;  // null when absent
  bool cache = true;            // `cache: false`
  bool persist = false;         // `persist: true`
  std::string remote;           // `remote: name`
  bool push = true;             // `push: false`
  // Keys in the order the file had them; empty for a new entry.
  std::vector<std::string> key_order;

  bool operator==(const DvcOut&) const = default;
};

struct DvcFile {
  std::vector<DvcOut> outs;
  std::string desc;             // top-level `desc`
  bool frozen = false;          // top-level `frozen: true`
  nlohmann::ordered_json meta;  // top-level `meta`, any value; null when absent
  // Top-level keys in file order, and how many outs the file had (DVC keeps
  // per-entry order only when the list keeps its length). Empty / 0 for a new file.
  std::vector<std::string> key_order;
  size_t outs_in_file = 0;

  bool operator==(const DvcFile&) const = default;
};

// A new DvcFile for one added output, as `dvc add <path>` makes it.
DvcFile MakeAddedDvcFile(std::string path, HashInfo hash, bool isexec = false);

// The bytes DVC writes for `file`.
Result<std::string> FormatDvcFile(const DvcFile& file);

// Parses .dvc text; `file_name` names it in errors ("data.dvc:3:3: ...").
Result<DvcFile> ParseDvcFile(std::string_view text, std::string_view file_name);

Result<DvcFile> ReadDvcFile(const std::filesystem::path& path);
// Atomic.
Status WriteDvcFile(const std::filesystem::path& path, const DvcFile& file);

// Appends "/<basename of path>" (with `[]!*#?` backslash-escaped, as
// pathspec's GitWildMatchPattern.escape does) to the .gitignore beside
// `path`, the way scmrepo's Git.ignore writes it: a newline first when the
// file does not end in one, then the entry and "\n"; the file is created if
// missing. Returns false, writing nothing, when that exact entry is already
// a line of the file. DVC instead skips when git already ignores the path
// by any rule; callers that can evaluate ignore rules should check first.
Result<bool> AddToGitignore(const std::filesystem::path& path);

}  // namespace conveyor
