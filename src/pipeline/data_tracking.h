// Tracking data outside any stage, as `dvc add` does: the data goes into the
// cache, a small `<path>.dvc` file records its hash for Git, and Git is told
// to ignore the data itself.
#pragma once

#include <string>

#include "cache/hash_info.h"
#include "common/status.h"
#include "pipeline/project_cache.h"
#include "pipeline/workspace.h"

namespace conveyor {

struct AddResult {
  std::string path;     // project-relative path that was added
  std::string dvcfile;  // project-relative path of its .dvc file
  HashInfo hash;
  bool changed = true;             // false when the .dvc file already said the same
  bool gitignore_updated = false;  // an entry was appended to .gitignore
};

// Adds `relpath` (project-relative). Order of effects, so an interruption
// loses nothing: cache objects first, then the .dvc file (atomically), then
// the .gitignore entry. Refuses paths that a stage produces, paths inside
// another tracked path, and the project's own metadata.
Result<AddResult> AddPath(ProjectCache& cache, const Workspace& workspace, Hasher& hasher,
                          const std::string& relpath);

}  // namespace conveyor
