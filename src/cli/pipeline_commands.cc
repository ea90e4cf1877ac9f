#include "cli/pipeline_commands.h"

namespace conveyor::cli {

Result<std::unique_ptr<LoadedPipeline>> LoadPipeline(const GlobalOptions& global) {
  ASSIGN_OR_RETURN(Project project, Project::Discover(global.cwd));
  ASSIGN_OR_RETURN(Workspace workspace, Workspace::Load(project));
  return std::make_unique<LoadedPipeline>(LoadedPipeline{std::move(project), std::move(workspace)});
}

}  // namespace conveyor::cli
