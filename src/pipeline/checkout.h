// Making the workspace match dvc.lock and the .dvc files again, from the
// cache, as `dvc checkout` does.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/project_cache.h"
#include "pipeline/workspace.h"

namespace conveyor {

struct CheckoutOptions {
  // Stage names, .dvc files or tracked paths; empty means everything.
  std::vector<std::string> targets;
  // Overwrite workspace changes that are not saved in the cache.
  bool force = false;
  // Outputs (project-relative) this command has already materialised from
  // the cache (CheckoutAhead, pipeline/checkout_ahead.h): not hashed or
  // touched again, reported as added.
  std::set<std::string> placed;
};

// A cached output recorded in a lock file or a .dvc file.
struct RecordedOutput {
  std::string path;   // project-relative
  std::string owner;  // stage address or .dvc file
  HashInfo hash;
};

// Every cached output recorded in the lock files and .dvc files that one of
// `targets` (stage names or addresses, .dvc files, paths) selects; all of
// them when `targets` is empty.
Result<std::vector<RecordedOutput>> RecordedOutputs(const Project& project,
                                                    const Workspace& workspace,
                                                    const std::vector<std::string>& targets);

struct CheckoutReport {
  std::vector<std::string> added;     // restored where nothing was
  std::vector<std::string> modified;  // replaced a different version
  std::vector<std::string> missing;   // recorded, but not in the cache
};

// Restores every recorded, cached output whose workspace copy is missing or
// differs. A differing copy whose content is not in the cache is only
// replaced with `force`; otherwise the whole checkout stops before touching
// anything, naming it. A directory counts as in the cache when each of its
// files is, or is a temporary file (IsTempName, common/file_util.h) that a
// killed write left: what an interrupted checkout or pull leaves behind, so
// that rerunning it finishes the job.
Result<CheckoutReport> CheckoutWorkspace(ProjectCache& cache, const Workspace& workspace,
                                         Hasher& hasher, const CheckoutOptions& options);

}  // namespace conveyor
