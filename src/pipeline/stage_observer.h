// What is on disk now for a stage: its dependencies' and outputs' hashes (by
// way of the stat cache), its parameter values as dvc.lock records them, and
// whether its outputs are in the cache. The effectful half of change
// detection; DiffStage (pipeline/stage_diff.h) is the pure half.
//
// Thread safety: const after construction; each calling thread passes its
// own ProjectHasher.
#pragma once

#include <vector>

#include "common/status.h"
#include "pipeline/dag.h"
#include "pipeline/lock_file.h"
#include "pipeline/project.h"
#include "pipeline/project_cache.h"
#include "pipeline/stage_diff.h"

namespace conveyor {

class StageObserver {
 public:
  // Both must outlive the observer.
  StageObserver(const Project& project, ProjectCache& cache);

  // Hashes deps and outs and reads params. `locked` (may be null) is the
  // stage's dvc.lock entry: its DVC 2 entries also get their DVC 2 digests.
  Result<Observation> Observe(const StageNode& node, const LockedStage* locked,
                              ProjectHasher& hasher);

  // The lock entry of the stage's inputs as they are now: cmd, deps (each
  // must exist) and params; no outs.
  Result<LockedStage> LockInputs(const StageNode& node, ProjectHasher& hasher);

  // Current params values, as dvc.lock records them: listed keys as
  // written, or a whole file's top-level keys. Errors name the stage and
  // its params entry.
  Result<std::vector<LockedParams>> ReadParams(const StageNode& node);

 private:
  Result<ObservedPath> ObservePath(const std::string& written, const std::string& relpath,
                                   ProjectHasher& hasher, bool legacy);

  // Constant after construction.
  const Project& project_;
  ProjectCache& cache_;
};

}  // namespace conveyor
