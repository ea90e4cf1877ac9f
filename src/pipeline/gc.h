// Removing cache objects that nothing references any more, as `dvc gc` does.
// "Referenced" means named by a dvc.lock output or a .dvc file in the
// workspace and, on request, at the tips of branches and tags or in every
// commit — read through libgit2 — or belonging to a registered model version.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "cache/object_store.h"
#include "common/status.h"
#include "pipeline/project.h"
#include "pipeline/workspace.h"

namespace conveyor {

struct GcOptions {
  bool workspace = false;     // keep what the workspace references
  bool all_branches = false;  // ... and every branch tip
  bool all_tags = false;      // ... and every tag
  bool all_commits = false;   // ... and every commit
  bool dry = false;           // count, remove nothing
  // Kept whatever the scope: the objects of every registered model version
  // (the command reads them from the registry), so a version the workspace
  // moved past can still be served. Listed as a source when not empty.
  std::set<std::string> registered;
};

// GcReport::sources' name for GcOptions::registered.
inline constexpr const char* kRegisteredModelsSource = "registered models";

struct GcReport {
  std::vector<std::string> sources;  // "workspace", "refs/heads/main", ...
  size_t referenced = 0;             // distinct objects kept
  size_t removed = 0;                // objects (and stray temp files) removed
  uint64_t removed_bytes = 0;
};

// The cache objects (md5s, ".dir" listings not expanded) that the
// workspace's dvc.lock outputs and .dvc files record — what gc keeps for -w
// and what push, fetch and `status --cloud` move or compare.
//
// `targets` narrows this to stage names or addresses ("train",
// "sub/dvc.yaml:train"), .dvc files, and project-relative paths (an output
// at or below the path); a target that names nothing is kNotFound. Empty
// means everything. With `for_remote`, outputs declared `cache: false` (never
// cached) or `push: false` are left out, as DVC's push and fetch do.
Result<std::set<std::string>> WorkspaceObjects(const Project& project, const Workspace& workspace,
                                               const std::vector<std::string>& targets = {},
                                               bool for_remote = false);

// kUsage, saying which flags there are, when `options` keeps nothing.
Status CheckGcScope(const GcOptions& options);

// Fails without touching the cache when no scope is given, when a lock or
// .dvc file in scope cannot be parsed, or when Git history is asked for in a
// project without Git.
Result<GcReport> CollectGarbage(const Project& project, const Workspace& workspace,
                                const ObjectStore& store, const GcOptions& options);

}  // namespace conveyor
