// Lists the files of a directory tree the way DVC collects a directory
// output (dvc_data/hashfile/build.py `_walk_files` over os.walk):
//   - regular files and symlinks to regular files are entries (a symlink is
//     followed, its target's content is what counts);
//   - directories are descended into, except symlinks to directories, which
//     os.walk (followlinks=False) lists but does not enter, so they leave no
//     trace (unless WalkOptions::follow_dir_symlinks);
//   - empty directories leave no trace;
//   - with IgnoreRules, ignored entries are skipped and ignored directories
//     not entered; each entered directory's .dvcignore is loaded.
// Other file types (sockets, FIFOs, devices) and dangling symlinks are errors.
//
// Thread safety: a free function; `rules` is mutated (directories loaded), so
// it must not be shared with a concurrent walk.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cache/dvcignore.h"
#include "cache/stat_cache.h"
#include "common/status.h"

namespace conveyor {

struct WalkedFile {
  std::string relpath;  // '/'-separated, relative to the walked directory
  FileStat stat;        // of the file (after following a symlink)
};

struct WalkOptions {
  // Descend into symlinks to directories (DVC does not). Default false.
  bool follow_dir_symlinks = false;
  // Fail when a `.dvcignore` is among the files, as DVC does when it
  // collects a directory output ("should not be in collected dir path").
  // Default false.
  bool reject_dvcignore = false;
};

// Walks `dir`. `rules` may be null (nothing ignored, not even .git); when set,
// `dir_relpath` is `dir` relative to rules->root() ("" for the root itself)
// and the ancestors of `dir` must already be loaded. Files come back sorted
// by relpath (byte order).
Result<std::vector<WalkedFile>> WalkFiles(const std::filesystem::path& dir, IgnoreRules* rules,
                                          std::string_view dir_relpath,
                                          const WalkOptions& options = {});

// FileStat from a struct stat.
FileStat ToFileStat(const struct stat& st);

}  // namespace conveyor
