#include "cli/pipeline_commands.h"

namespace conveyor::cli {

Result<std::unique_ptr<LoadedPipeline>> LoadPipeline(const GlobalOptions& global, Access access) {
  ASSIGN_OR_RETURN(Project project, Project::Discover(global.cwd));
  std::unique_ptr<FileLock> lock;
  if (access == Access::kWrite) {
    ASSIGN_OR_RETURN(lock, FileLock::Acquire(project.tmp_dir() / "lock"));
  }
  ASSIGN_OR_RETURN(Workspace workspace, Workspace::Load(project));
  return std::make_unique<LoadedPipeline>(
      LoadedPipeline{std::move(project), std::move(lock), std::move(workspace)});
}

}  // namespace conveyor::cli
