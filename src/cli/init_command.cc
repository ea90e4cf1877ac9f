// `conveyor init`: create .dvc/ in the current directory; with --ci, also
// write a CI pipeline (src/cli/ci_templates.h).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <system_error>

#include "cli/ci_templates.h"
#include "cli/command.h"
#include "cli/commands.h"
#include "common/file_util.h"
#include "pipeline/project.h"

namespace conveyor::cli {

namespace {

namespace fs = std::filesystem;

class InitCommand : public Command {
 public:
  std::string_view Name() const override { return "init"; }
  std::string_view Summary() const override {
    return "Make the current directory a project (creates .dvc/, as 'dvc init')";
  }
  void Configure(CLI::App& app) override {
    app.add_flag("--no-scm", no_scm_, "Allow a project that is not a Git repository");
    app.add_flag("-f,--force", force_,
                 "Initialise again even if .dvc/ exists; with --ci, overwrite the pipeline file "
                 "instead (the project is left as it is)");
    app.add_option("--ci", ci_,
                   "Also write a CI pipeline: 'gitlab' (.gitlab-ci.yml) or 'github' "
                   "(.github/workflows/conveyor.yml). In an existing project, only the "
                   "pipeline is written")
        ->check(CLI::IsMember({"gitlab", "github"}));
    app.footer(
        "Examples:\n"
        "  git init && conveyor init && git add .dvc .dvcignore\n"
        "  conveyor init --ci gitlab     lint, pipeline and report on merge requests;\n"
        "                                publish, image and deploy on the default branch\n"
        "  conveyor init --ci github     the same as a GitHub Actions workflow\n"
        "The variables the pipelines read are listed at the top of each file and in\n"
        "docs/ci.md, \"Pipeline templates\".");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    const bool existing_project = fs::exists(global.cwd / ".dvc");
    if (ci_.empty() || !existing_project) {
      ASSIGN_OR_RETURN(Project project, Project::Init(global.cwd, no_scm_, force_ && ci_.empty()));
      console.Out(fmt::format("Initialized a project in {}", project.root().string()));
      if (!no_scm_)
        console.Note("Commit .dvc/config, .dvc/.gitignore and .dvcignore to Git.");
    }
    if (!ci_.empty())
      return WriteCiTemplate(global.cwd, console);
    return OkStatus();
  }

 private:
  Status WriteCiTemplate(const fs::path& root, Console& console) const {
    const std::optional<CiTemplate> ci = FindCiTemplate(ci_);
    if (!ci)
      return Error(Code::kUsage, "--ci: unknown CI system '{}' (expected gitlab or github)", ci_);
    const fs::path path = root / ci->path;
    std::error_code error;
    if (fs::exists(path, error) && !force_)
      return Error(Code::kAlreadyExists, "{} exists; use --force to overwrite it",
                   std::string(ci->path));
    fs::create_directories(path.parent_path(), error);
    if (error)
      return Error(Code::kIo, "cannot create {}: {}", path.parent_path().string(), error.message());
    RETURN_IF_ERROR(AtomicWriteFile(path, ci->contents));
    console.Out(fmt::format("Wrote {}", std::string(ci->path)));
    console.Note(fmt::format(
        "Set the variables listed at the top of {} ({}), then commit it.", std::string(ci->path),
        ci_ == "gitlab" ? "CONVEYOR_GITLAB_TOKEN at least" : "vars.CONVEYOR_IMAGE at least"));
    return OkStatus();
  }

  bool no_scm_ = false;
  bool force_ = false;
  std::string ci_;
};

}  // namespace

std::unique_ptr<Command> MakeInitCommand() { return std::make_unique<InitCommand>(); }

}  // namespace conveyor::cli
