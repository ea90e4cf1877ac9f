// `conveyor metrics show`: the pipeline's metrics files as a table.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/pipeline_commands.h"
#include "report/metrics_table.h"

namespace conveyor::cli {

namespace {

class MetricsCommand : public Command {
 public:
  std::string_view Name() const override { return "metrics"; }
  std::string_view Summary() const override {
    return "Show the metrics files the pipeline declares (metrics show)";
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
    app.require_subcommand(1);
    app.footer(
        "Example:\n"
        "  conveyor metrics show          Path  accuracy  f1 ...\n"
        "  conveyor metrics show --md     the same as a Markdown table");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
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
  bool json_ = false;
  static constexpr size_t kMaxWidth = 120;
  bool markdown_ = false;
  bool wide_ = false;
  int precision_ = 5;
};

}  // namespace

std::unique_ptr<Command> MakeMetricsCommand() { return std::make_unique<MetricsCommand>(); }

}  // namespace conveyor::cli
