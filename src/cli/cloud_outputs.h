// What `status --cloud` prints: the workspace's tracked outputs (dvc.lock
// outputs and .dvc files) by path, each with where its cache objects are —
// the md5 → path mapping that pipeline/gc.h's WorkspaceObjects does not
// keep.
//
// Thread safety: free functions without shared state.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "cache/object_store.h"
#include "common/status.h"
#include "pipeline/project.h"
#include "pipeline/workspace.h"
#include "remote/transfer.h"

namespace conveyor::cli {

struct TrackedOutput {
  std::string path;  // project-relative; a directory ends with '/'
  std::string md5;   // "….dir" for a directory
};

// The outputs recorded in dvc.lock files and .dvc files whose objects are
// in `objects` (what WorkspaceObjects chose for the same targets), sorted by
// path; an md5 two outputs share is listed under both.
Result<std::vector<TrackedOutput>> TrackedOutputs(const Project& project,
                                                  const Workspace& workspace,
                                                  const std::set<std::string>& objects);

// DVC's words for an output compared with a remote.
enum class CloudState {
  kInSync,   // every object at both ends
  kNew,      // some object only in the cache: push would send it
  kDeleted,  // some object only on the remote: fetch would get it
  kMissing,  // some object at neither end
};

struct OutputCloudStatus {
  TrackedOutput output;
  CloudState state = CloudState::kInSync;
  // For a directory whose listing is in the cache: files in each state
  // (listing excluded); all zero otherwise.
  size_t files = 0;
  size_t files_new = 0;
  size_t files_deleted = 0;
  size_t files_missing = 0;
};

// Classifies each output from the per-object comparison. The worst state
// wins: missing, then new, then deleted. A directory's files come from its
// listing in `store`.
std::vector<OutputCloudStatus> ClassifyOutputs(const std::vector<TrackedOutput>& outputs,
                                               const CloudStatus& status, const ObjectStore& store);

// "new", "deleted", "missing", "in sync".
std::string_view CloudStateName(CloudState state);

}  // namespace conveyor::cli
