// Why a stage must run: the comparison of a stage's definition and what is on
// disk now with what dvc.lock recorded at its last run.
//
// DiffStage is a pure function of its inputs — no file access — so every
// rule is tested as a table. Gathering the observation is the caller's job
// (pipeline/stage_observer.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cache/hash_info.h"
#include "pipeline/lock_file.h"
#include "pipeline/stage.h"

namespace conveyor {

enum class ChangeKind {
  kNeverRan,       // no entry in dvc.lock
  kCommand,        // cmd differs from the locked one
  kAlwaysChanged,  // always_changed: true, or a stage with neither deps nor outs
  kDepModified,
  kDepDeleted,
  kDepNew,  // a dependency the lock does not know
  kParamModified,
  kParamDeleted,
  kParamNew,
  kOutModified,
  kOutDeleted,
  kOutNew,         // an output the lock does not know
  kOutNotInCache,  // unchanged in the workspace, but its cache object is gone
};

struct Change {
  ChangeKind kind;
  std::string subject;  // the path, or "file:key" for a parameter
  std::string detail;   // e.g. "0.1 -> 0.2" for a parameter; may be empty

  // "modified", "deleted", "new", "not in cache", "changed command", ...
  std::string_view Label() const;
  bool operator==(const Change&) const = default;
};

// What is on disk now, for one stage.
struct ObservedPath {
  std::string path;              // as written in dvc.yaml (relative to wdir)
  std::optional<HashInfo> hash;  // nullopt when the path does not exist
  // For a lock entry written by DVC 2 (no `hash: md5`): the DVC 2 md5 of the
  // same file, when the caller computed it.
  std::optional<std::string> legacy_md5;
  bool in_cache = true;  // outputs only: the object is in the cache
};

struct Observation {
  std::vector<ObservedPath> deps;  // parallel to Stage::deps
  // Current parameter values as dvc.lock would record them.
  std::vector<LockedParams> params;
  std::vector<ObservedPath> outs;  // parallel to Stage::outs
};

// The changes in DVC's order: command, then dependencies (skipped for a
// frozen stage), then outputs. Empty when the stage is up to date.
std::vector<Change> DiffStage(const Stage& stage, const LockedStage* locked,
                              const Observation& now);

}  // namespace conveyor
