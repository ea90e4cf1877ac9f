// Shared set-up for commands that work on a project's pipeline.
#pragma once

#include <memory>

#include "cli/command.h"
#include "pipeline/project.h"
#include "pipeline/workspace.h"

namespace conveyor::cli {

// The project around the current directory and its parsed pipeline.
struct LoadedPipeline {
  Project project;
  Workspace workspace;
};

Result<std::unique_ptr<LoadedPipeline>> LoadPipeline(const GlobalOptions& global);

}  // namespace conveyor::cli
