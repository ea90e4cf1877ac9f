// Shared set-up for commands that work on a project's pipeline.
#pragma once

#include <memory>

#include "cli/command.h"
#include "common/file_lock.h"
#include "pipeline/project.h"
#include "pipeline/workspace.h"

namespace conveyor::cli {

// Whether a command changes the project (and so must hold its lock).
enum class Access { kRead, kWrite };

// The project around the current directory and its parsed pipeline.
struct LoadedPipeline {
  Project project;
  std::unique_ptr<FileLock> lock;  // held for kWrite
  Workspace workspace;
};

// Finds the project, takes `.dvc/tmp/lock` for kWrite (the lock DVC takes),
// then parses every dvc.yaml and .dvc file.
Result<std::unique_ptr<LoadedPipeline>> LoadPipeline(const GlobalOptions& global, Access access);

}  // namespace conveyor::cli
