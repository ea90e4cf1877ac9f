// Hashes a file or directory as DVC 3 records it in dvc.lock / .dvc files.
//
// A file: md5 of its content and its size. A directory: the `.dir` hash of
// cache/tree_hash.h over the files that cache/walk.h lists (ignore rules
// applied, symlinked files followed), plus the Tree so the object store can
// save the `.dir` object.
//
// With a StatCache, unchanged content is not re-read:
//   - a file is looked up by (path, dev, inode, mtime_ns, size);
//   - a directory is looked up by its path and a digest of every file's
//     (relpath, dev, inode, mtime_ns, size): one walk with stat() and one
//     query when nothing changed; on a miss, the directory's file records are
//     loaded with one range query and only changed files are hashed.
// Files modified within `racy_window` of the walk are hashed but not cached
// (their mtime could still change within the same timestamp tick, git's
// "racy clean" problem), and neither is a directory that contains one.
//
// The stat cache is an accelerator only: a lookup that fails is a miss and a
// record that cannot be written is skipped, so a read-only or full disk slows
// hashing down but never fails it.
//
// Thread safety: a Hasher is not thread-safe (it mutates the IgnoreRules it
// was given); use one per thread. Files are hashed on `threads` worker
// threads inside Hash().
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>

#include "cache/dvcignore.h"
#include "cache/hash_info.h"
#include "cache/stat_cache.h"
#include "common/status.h"

namespace conveyor {

struct HasherOptions {
  // Worker threads for hashing files; 0 means hardware_concurrency().
  int threads = 0;
  // Descend into symlinks to directories (DVC does not). Default false.
  bool follow_dir_symlinks = false;
  // Files whose mtime is this close to the walk's start are not cached.
  std::chrono::nanoseconds racy_window = std::chrono::seconds(2);
};

struct HashedObject {
  HashInfo hash;
  // Set for a directory when Hash() was asked for it.
  std::optional<Tree> tree;
};

class Hasher {
 public:
  // `stat_cache` and `ignore` may be null (no caching, no ignore rules) and
  // must outlive the Hasher. `ignore` applies to paths below its root.
  Hasher(StatCache* stat_cache, IgnoreRules* ignore, HasherOptions options = {});

  // Hashes `path` (a file, a directory, or a symlink to either). For a
  // directory, the Tree is filled in when `want_tree`. Errors name the path.
  Result<HashedObject> Hash(const std::filesystem::path& path, bool want_tree = true);

 private:
  Result<HashedObject> HashFile(const std::string& path, const FileStat& stat);
  Result<HashedObject> HashDir(const std::string& path, bool want_tree);

  // Constant after construction.
  StatCache* stat_cache_;
  IgnoreRules* ignore_;
  HasherOptions options_;
};

}  // namespace conveyor
