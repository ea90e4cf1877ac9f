// `conveyor params diff`: how the parameters the pipeline uses changed
// between two revisions.
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "report/params_diff.h"
#include "report/revision_view.h"

namespace conveyor::cli {

namespace {

class ParamsCommand : public Command {
 public:
  std::string_view Name() const override { return "params"; }
  std::string_view Summary() const override {
    return "Compare the parameters the pipeline uses between revisions (params diff)";
  }
  void Configure(CLI::App& app) override {
    CLI::App* diff = app.add_subcommand(
        "diff", "Compare the params of two revisions (default: HEAD and the workspace)");
    diff->add_option("a_rev", old_revision_, "The old revision (default HEAD)");
    diff->add_option("b_rev", new_revision_,
                     "The new revision (default workspace, the files on disk)");
    diff->add_flag("--all", all_, "List unchanged params too");
    diff->add_flag("--json", json_, "Print {path: {param: {old, new}}}");
    diff->add_flag("--md", markdown_, "Print a Markdown table (for reports)");
    diff->add_flag("--no-path", no_path_, "Leave out the Path column");
    app.require_subcommand(1);
    app.footer(
        "Revisions are 'workspace' or anything Git names a commit with: HEAD, HEAD~1, a\n"
        "branch, a tag, a (short) commit id. One revision compares it with the workspace.\n"
        "Examples:\n"
        "  conveyor params diff               what changed since the last commit\n"
        "  conveyor params diff v1 v2 --md    between two tags, as a Markdown table");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(Project project, Project::Discover(global.cwd));
    ASSIGN_OR_RETURN(RevisionPair pair,
                     OpenRevisionPair(project, "params diff", old_revision_, new_revision_));
    std::vector<ParamsValues> old_files =
        CollectParams(pair.old_view->workspace(), pair.old_view->reader());
    std::vector<ParamsValues> new_files =
        CollectParams(pair.new_view->workspace(), pair.new_view->reader());
    ParamsDiff diff = DiffParams(old_revision_, old_files, new_revision_, new_files, all_);
    for (const std::string& warning : diff.warnings)
      console.Warn(warning);
    if (json_) {
      console.Out(ParamsDiffJson(diff).dump(2));
    } else if (diff.changes.empty()) {
      console.Note(
          fmt::format("No changes in params between {} and {}.", old_revision_, new_revision_));
    } else {
      console.Out(FormatParamsDiff(diff, markdown_, !no_path_));
    }
    return OkStatus();
  }

 private:
  std::string old_revision_ = "HEAD";
  std::string new_revision_ = std::string(RevisionView::kWorkspace);
  bool all_ = false;
  bool json_ = false;
  bool markdown_ = false;
  bool no_path_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeParamsCommand() { return std::make_unique<ParamsCommand>(); }

}  // namespace conveyor::cli
