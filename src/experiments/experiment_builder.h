// Turns a finished pipeline run into an experiment record: the Git state it
// ran on, the parameter values the stages used (from dvc.lock), the metrics
// files' values, the hash of every dependency and output (lineage), and one
// new model version per model conveyor.yaml declares.
//
// Everything here reads files; nothing writes. RecordExperiment (below)
// stores the result.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/conveyor_config.h"
#include "pipeline/project.h"
#include "pipeline/workspace.h"
#include "registry/registry_store.h"

namespace conveyor {

// The Git state of a run. Empty (present false) outside Git.
struct GitContext {
  bool present = false;
  std::string commit;    // 40 hex digits
  std::string short_id;  // as `git log --oneline` abbreviates it
  std::string branch;    // empty when detached
  std::string author;
  bool dirty = false;  // files under the project differ from the commit
};

// Reads HEAD and the work tree's state through libgit2. A project made with
// `init --no-scm`, or a repository without commits, gives an empty context.
Result<GitContext> ReadGitContext(const Project& project);

struct RunInfo {
  int64_t started_at_ms = 0;
  int64_t finished_at_ms = 0;
  Status outcome;    // OK when every stage succeeded
  std::string name;  // `-n NAME`; empty: the tag is the commit's short SHA
};

struct ExperimentDraft {
  ExperimentRecord record;
  std::vector<NewModelVersion> models;  // none for a failed run
};

// `workspace` must be loaded after the run (its lock files are read fresh
// from disk). Errors: a declared model whose path no stage outputs (named
// with conveyor.yaml's line and the nearest output), an unreadable lock file.
Result<ExperimentDraft> BuildExperiment(const Project& project, const Workspace& workspace,
                                        const ConveyorConfig& config, const GitContext& git,
                                        const RunInfo& run);

// Stores `draft`. A model whose content equals its latest version's is not
// registered again (a run that only re-evaluated keeps the version it had).
// `actor` is recorded as the versions' creator.
Result<std::pair<ExperimentRecord, std::vector<ModelVersion>>> RecordExperiment(
    RegistryStore& store, ExperimentDraft draft, const std::string& actor);

// Who is acting: $CONVEYOR_USER, else $USER, else the login name.
std::string CurrentActor();

}  // namespace conveyor
