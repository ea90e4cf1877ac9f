// `conveyor init`: create .dvc/ in the current directory.
#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/commands.h"
#include "pipeline/project.h"

namespace conveyor::cli {

namespace {

class InitCommand : public Command {
 public:
  std::string_view Name() const override { return "init"; }
  std::string_view Summary() const override {
    return "Make the current directory a project (creates .dvc/, as 'dvc init')";
  }
  void Configure(CLI::App& app) override {
    app.add_flag("--no-scm", no_scm_, "Allow a project that is not a Git repository");
    app.add_flag("-f,--force", force_, "Initialise again even if .dvc/ exists");
    app.footer("Example:\n  git init && conveyor init && git add .dvc .dvcignore");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(Project project, Project::Init(global.cwd, no_scm_, force_));
    console.Out(fmt::format("Initialized a project in {}", project.root().string()));
    if (!no_scm_)
      console.Note("Commit .dvc/config, .dvc/.gitignore and .dvcignore to Git.");
    return OkStatus();
  }

 private:
  bool no_scm_ = false;
  bool force_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeInitCommand() { return std::make_unique<InitCommand>(); }

}  // namespace conveyor::cli
