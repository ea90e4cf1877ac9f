// DVC's run-cache (dvc/stage/cache.py): results of past stage runs, keyed by
// what went in, so a stage whose inputs were seen before is restored
// instead of rerun.
//
// Layout: <cache_dir>/runs/<key[:2]>/<key>/<value>, where cache_dir is the
// repository's `.dvc/cache` (DVC 3 keeps runs/ under the legacy cache dir,
// beside files/md5/). Each file holds one stage's lock mapping (cmd, deps,
// params, outs) in dvc.lock's YAML; several values may share a key (same
// inputs, different outputs) and DVC restores the newest by mtime.
//
//   key   = sha256(json.dumps(E with outs -> [out paths], sort_keys=True))
//   value = sha256(json.dumps(E, sort_keys=True))
//
// where E is the stage's lock mapping with every "size" and "nfiles" key
// removed at any depth (dvc.utils.dict_filter; this also drops params named
// "size"), and json.dumps is reproduced by PyJsonDumps (common/py_json.h).
//
// Thread safety: free functions; concurrent Save() of the same entry is safe
// (each writes a temporary file and renames it into place).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "pipeline/lock_file.h"
#include "pipeline/stage.h"

namespace conveyor {

// The part of DVC's _can_hash a dvc.yaml stage answers: a cmd, at least one
// dependency (deps or params), at least one output, not always_changed, and
// no `persist: true` output. Outputs with `cache: false` are allowed.
bool IsRunCacheable(const Stage& stage);

// The run-cache key of a stage's lock entry, or nullopt when DVC would not
// cache it: no cmd, no deps and params, no outs, a dep without md5, or a
// params file with no values. Errors: strings that are not valid UTF-8.
Result<std::optional<std::string>> ComputeRunCacheKey(const LockedStage& stage);

// The entry's file name under its key directory.
Result<std::string> ComputeRunCacheValue(const LockedStage& stage);

struct RunCacheEntry {
  std::string value;  // the file name
  LockedStage stage;  // name left empty
  std::filesystem::file_time_type mtime;
};

// The entries stored under `key`, newest first (DVC restores entries[0]). No
// directory means no entries. Unreadable or invalid entries are skipped
// (DVC deletes them with a warning; this function never writes).
Result<std::vector<RunCacheEntry>> LookupRunCache(const std::filesystem::path& cache_dir,
                                                  std::string_view key);

// Stores `stage` under its key unless that exact entry exists; returns the
// entry's path, or nullopt when the stage is not cacheable (see
// ComputeRunCacheKey). Callers check IsRunCacheable(stage) first.
Result<std::optional<std::filesystem::path>> SaveRunCache(const std::filesystem::path& cache_dir,
                                                          const LockedStage& stage);

}  // namespace conveyor
