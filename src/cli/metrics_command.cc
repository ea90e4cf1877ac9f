// `conveyor metrics show`: the pipeline's metrics files as a table;
// `conveyor metrics diff`: how they changed between two revisions.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/pipeline_commands.h"
#include "report/metrics_diff.h"
#include "report/metrics_table.h"
#include "report/revision_view.h"

namespace conveyor::cli {

namespace {

class MetricsCommand : public Command {
 public:
  std::string_view Name() const override { return "metrics"; }
  std::string_view Summary() const override {
    return "Show the metrics files the pipeline declares, or compare them between revisions";
  }
  void Configure(CLI::App& app) override {
    CLI::App* show = app.add_subcommand("show", "Print every declared metrics file's values");
    show->add_flag("--json", json_, "Print {path: {data: {key: value}}}");
    show->add_flag("--md", markdown_, "Print a Markdown table (for reports)");
    show->add_flag("--wide", wide_,
                   "One row per file even when that is wider than 120 columns (by default "
                   "such tables print one row per metric)");
    show->add_option("--precision", precision_, "Significant digits for numbers")
        ->check(CLI::Range(1, 17));
    ConfigureDiff(app);
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  conveyor metrics show              Path  accuracy  f1 ...\n"
        "  conveyor metrics show --md         the same as a Markdown table\n"
        "  conveyor metrics diff              what changed since the last commit\n"
        "  conveyor metrics diff v1 HEAD      between a tag and the last commit");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    if (diff_->parsed())
      return RunDiff(global, console);
    ASSIGN_OR_RETURN(std::unique_ptr<LoadedPipeline> loaded, LoadPipeline(global, Access::kRead));
    std::vector<MetricsFile> files = CollectMetrics(loaded->project, loaded->workspace);
    if (files.empty()) {
      console.Note("No metrics files: declare them under 'metrics:' in dvc.yaml.");
      return OkStatus();
    }
    for (const MetricsFile& file : files) {
      if (!file.error.empty())
        console.Warn(file.error);
    }
    if (json_) {
      console.Out(MetricsJson(files).dump(2));
    } else if (markdown_) {
      console.Out(FormatMetricsMarkdown(files, precision_));
    } else {
      std::string table = FormatMetricsTable(files, precision_);
      bool too_wide = table.find('\n') > kMaxWidth;
      console.Out(too_wide && !wide_ ? FormatMetricsLong(files, precision_) : table);
    }
    return OkStatus();
  }

 private:
  void ConfigureDiff(CLI::App& app) {
    diff_ = app.add_subcommand(
        "diff", "Compare the metrics of two revisions (default: HEAD and the workspace)");
    diff_->add_option("a_rev", old_revision_, "The old revision (default HEAD)");
    diff_->add_option("b_rev", new_revision_,
                      "The new revision (default workspace, the files on disk)");
    diff_->add_flag("--all", all_, "List unchanged metrics too");
    diff_->add_flag("--json", json_, "Print {path: {metric: {old, new, diff}}}");
    diff_->add_flag("--md", markdown_, "Print a Markdown table (for reports)");
    diff_->add_flag("--no-path", no_path_, "Leave out the Path column");
    diff_
        ->add_option("--precision", diff_precision_,
                     "Decimal places numbers are rounded to (default 5)")
        ->check(CLI::Range(0, 17));
    diff_->footer(
        "Revisions are 'workspace' or anything Git names a commit with: HEAD, HEAD~1, a\n"
        "branch, a tag, a (short) commit id. One revision compares it with the workspace.\n"
        "Example:\n"
        "  conveyor metrics diff HEAD~1 --md");
  }

  Status RunDiff(const GlobalOptions& global, Console& console) {
    ASSIGN_OR_RETURN(Project project, Project::Discover(global.cwd));
    ASSIGN_OR_RETURN(RevisionPair pair,
                     OpenRevisionPair(project, "metrics diff", old_revision_, new_revision_));
    std::vector<MetricsFile> old_files =
        CollectMetrics(pair.old_view->workspace(), pair.old_view->reader());
    std::vector<MetricsFile> new_files =
        CollectMetrics(pair.new_view->workspace(), pair.new_view->reader());
    MetricsDiff diff = DiffMetrics(old_revision_, old_files, new_revision_, new_files, all_);
    for (const std::string& warning : diff.warnings)
      console.Warn(warning);
    if (json_) {
      console.Out(MetricsDiffJson(diff).dump(2));
    } else if (old_files.empty() && new_files.empty()) {
      console.Note("No metrics files: declare them under 'metrics:' in dvc.yaml.");
    } else if (diff.changes.empty()) {
      console.Note(
          fmt::format("No changes in metrics between {} and {}.", old_revision_, new_revision_));
    } else {
      console.Out(FormatMetricsDiff(diff, {diff_precision_, markdown_, !no_path_}));
    }
    return OkStatus();
  }

  CLI::App* diff_ = nullptr;
  std::string old_revision_ = "HEAD";
  std::string new_revision_ = std::string(RevisionView::kWorkspace);
  bool all_ = false;
  bool no_path_ = false;
  int diff_precision_ = 5;
  bool json_ = false;
  static constexpr size_t kMaxWidth = 120;
  bool markdown_ = false;
  bool wide_ = false;
  int precision_ = 5;
};

}  // namespace

std::unique_ptr<Command> MakeMetricsCommand() { return std::make_unique<MetricsCommand>(); }

}  // namespace conveyor::cli
