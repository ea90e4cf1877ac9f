// `conveyor exp run|show|diff|remove`: experiments, one per pipeline run.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/registry_commands.h"
#include "cli/run_pipeline.h"
#include "experiments/exp_table.h"
#include "experiments/pending_experiments.h"
#include "registry/registry_json.h"
#include "report/metrics_diff.h"
#include "report/params_diff.h"
#include "report/text_table.h"

namespace conveyor::cli {

namespace {

using Json = nlohmann::ordered_json;

std::vector<MetricsFile> MetricsOf(const ExperimentRecord& record) {
  std::vector<MetricsFile> files;
  for (const auto& [path, values] : record.metrics.items())
    files.push_back(MetricsFile{path, values, ""});
  return files;
}

std::vector<ParamsValues> ParamsOf(const ExperimentRecord& record) {
  std::vector<ParamsValues> files;
  for (const auto& [path, values] : record.params.items())
    files.push_back(ParamsValues{path, values, ""});
  return files;
}

class ExpCommand : public Command {
 public:
  std::string_view Name() const override { return "exp"; }
  std::string_view Summary() const override {
    return "Run experiments and compare them: each pipeline run with its params and metrics";
  }
  void Configure(CLI::App& app) override {
    run_ = app.add_subcommand("run", "Set parameters (-S), reproduce the pipeline, record it");
    AddRunFlags(*run_, run_options_);
    run_->add_option("-S,--set-param", set_params_,
                     "[FILE:]KEY=VALUE written into the params file before running "
                     "(FILE defaults to params.yaml); repeatable");
    run_->add_option("-n,--name", run_options_.name,
                     "Record the experiment under this name instead of the commit's short SHA");

    show_ = app.add_subcommand("show", "One row per experiment: status, metrics and params");
    show_->add_flag("--json", json_, "Print the experiment records as a JSON array");
    show_->add_flag("--csv", csv_, "Print comma-separated values");
    show_->add_flag("--md", markdown_, "Print a Markdown table");
    show_->add_option("--sort-by", table_.sort_by, "Sort by this metric or param column");
    show_->add_option("--sort-order", sort_order_, "asc or desc (default desc)")
        ->check(CLI::IsMember({"asc", "desc"}));
    show_->add_flag("--only-changed", table_.only_changed,
                    "Only the metric and param columns whose values differ");
    show_->add_option("--keep", table_.keep,
                      "Only metric/param columns whose name matches this regex (e.g. 'acc.*')");
    show_->add_option("--drop", table_.drop, "Leave out columns whose name matches this regex");
    show_->add_option("-n,--limit", limit_, "Show at most this many (newest first)")
        ->check(CLI::PositiveNumber);
    show_->add_option("--precision", table_.precision, "Significant digits for numbers")
        ->check(CLI::Range(1, 17));

    diff_ = app.add_subcommand("diff", "Compare the params and metrics of two experiments");
    diff_->add_option("a", diff_a_, "Experiment tag (or commit prefix)")->required();
    diff_->add_option("b", diff_b_, "Experiment tag (or commit prefix)")->required();
    diff_->add_flag("--all", diff_all_, "List unchanged values too");
    diff_->add_flag("--json", json_, "Print {\"metrics\": ..., \"params\": ...}");
    diff_->add_flag("--md", markdown_, "Print Markdown tables");

    remove_ = app.add_subcommand("remove", "Delete experiment records (model versions stay)");
    remove_->add_option("experiments", remove_refs_, "Tags (or commit prefixes) to remove");
    remove_->add_flag("--all", remove_all_, "Remove every experiment");

    for (CLI::App* sub : {show_, diff_, remove_})
      AddRegistryFlag(*sub, registry_);
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  conveyor exp run -S train.max_depth=8      try a deeper model\n"
        "  conveyor exp show --only-changed --sort-by accuracy\n"
        "  conveyor exp diff a1b2c3d e4f5a6b           params and metrics side by side\n"
        "  conveyor exp remove a1b2c3d");
  }

  Status Run(const GlobalOptions& global, Console& console) override {
    if (run_->parsed()) {
      for (const std::string& text : set_params_) {
        ASSIGN_OR_RETURN(ParamOverride override, ParseParamOverride(text));
        run_options_.overrides.push_back(std::move(override));
      }
      return RunPipeline(global, console, run_options_);
    }
    ASSIGN_OR_RETURN(std::unique_ptr<OpenedRegistry> registry, OpenRegistry(global, registry_));
    if (show_->parsed()) {
      NotePending(registry->project, console);
      return Show(*registry->store, console);
    }
    if (diff_->parsed())
      return Diff(*registry->store, console);
    return Remove(*registry->store, console);
  }

 private:
  // Runs an earlier registry failure kept back are not in the table yet.
  static void NotePending(const Project& project, Console& console) {
    Result<std::vector<std::filesystem::path>> pending =
        ListPendingExperiments(PendingExperimentsDir(project.root()));
    if (pending.ok() && !pending->empty()) {
      console.Note(fmt::format(
          "{} run(s) in .conveyor/pending/ wait to be recorded (the registry could not be "
          "written when they ran); the next 'conveyor repro' records them",
          pending->size()));
    }
  }

  Status Show(RegistryStore& store, Console& console) {
    ExperimentQuery query;
    query.limit = limit_;
    ASSIGN_OR_RETURN(std::vector<ExperimentRecord> experiments, store.ListExperiments(query));
    if (json_) {
      Json array = Json::array();
      for (const ExperimentRecord& record : experiments)
        array.push_back(ExperimentToJson(record));
      console.Out(array.dump(2));
      return OkStatus();
    }
    if (experiments.empty()) {
      console.Note("No experiments yet: 'conveyor repro' or 'conveyor exp run' records one.");
      return OkStatus();
    }
    table_.ascending = sort_order_ == "asc";
    ASSIGN_OR_RETURN(ExpTable table, BuildExpTable(experiments, table_));
    if (csv_) {
      console.Out(FormatCsv(table.header, table.rows));
    } else if (markdown_) {
      console.Out(FormatMarkdownTable(table.header, table.rows));
    } else {
      std::string text = FormatTextTable(table.header, table.rows);
      console.Out(text);
      if (text.find('\n') > kWideTable && table_.keep.empty() && table_.drop.empty()) {
        console.Note(
            fmt::format("{} columns: narrow them with --keep REGEX, --drop REGEX or --only-changed",
                        table.header.size()));
      }
      bool any_dirty = std::any_of(experiments.begin(), experiments.end(),
                                   [](const ExperimentRecord& r) { return r.dirty; });
      if (any_dirty)
        console.Note("* ran with uncommitted changes");
    }
    return OkStatus();
  }

  Status Diff(RegistryStore& store, Console& console) {
    ASSIGN_OR_RETURN(ExperimentRecord a, FindOneExperiment(store, diff_a_));
    ASSIGN_OR_RETURN(ExperimentRecord b, FindOneExperiment(store, diff_b_));
    MetricsDiff metrics = DiffMetrics(a.tag, MetricsOf(a), b.tag, MetricsOf(b), diff_all_);
    ParamsDiff params = DiffParams(a.tag, ParamsOf(a), b.tag, ParamsOf(b), diff_all_);
    if (json_) {
      Json json;
      json["metrics"] = MetricsDiffJson(metrics);
      json["params"] = ParamsDiffJson(params);
      console.Out(json.dump(2));
      return OkStatus();
    }
    MetricsDiffFormat format;
    format.markdown = markdown_;
    std::string metrics_text = FormatMetricsDiff(metrics, format);
    std::string params_text = FormatParamsDiff(params, markdown_);
    if (metrics_text.empty() && params_text.empty()) {
      console.Out(fmt::format("{} and {} have the same params and metrics.", a.tag, b.tag));
      return OkStatus();
    }
    const char* heading = markdown_ ? "### " : "";
    if (!params_text.empty())
      console.Out(fmt::format("{}Params\n{}", heading, params_text));
    if (!metrics_text.empty())
      console.Out(fmt::format("{}Metrics\n{}", heading, metrics_text));
    return OkStatus();
  }

  Status Remove(RegistryStore& store, Console& console) {
    if (remove_all_ == !remove_refs_.empty()) {
      return Error(Code::kUsage, "exp remove: name experiments, or give --all (not both)");
    }
    std::vector<ExperimentRecord> doomed;
    if (remove_all_) {
      ASSIGN_OR_RETURN(doomed, store.ListExperiments({}));
    } else {
      for (const std::string& ref : remove_refs_) {
        ASSIGN_OR_RETURN(ExperimentRecord record, FindOneExperiment(store, ref));
        doomed.push_back(std::move(record));
      }
    }
    std::vector<int64_t> ids;
    ids.reserve(doomed.size());
    for (const ExperimentRecord& record : doomed)
      ids.push_back(record.id);
    RETURN_IF_ERROR(store.RemoveExperiments(ids));
    for (const ExperimentRecord& record : doomed)
      console.Note(fmt::format("Removed experiment {}", record.tag));
    console.Out(fmt::format("Removed {} experiment(s).", doomed.size()));
    return OkStatus();
  }

  static constexpr size_t kWideTable = 160;
  CLI::App* run_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* diff_ = nullptr;
  CLI::App* remove_ = nullptr;
  std::string registry_;
  PipelineRunOptions run_options_;
  std::vector<std::string> set_params_;
  bool json_ = false;
  bool csv_ = false;
  bool markdown_ = false;
  ExpTableOptions table_;
  std::string sort_order_ = "desc";
  int64_t limit_ = -1;
  std::string diff_a_;
  std::string diff_b_;
  bool diff_all_ = false;
  std::vector<std::string> remove_refs_;
  bool remove_all_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeExpCommand() { return std::make_unique<ExpCommand>(); }

}  // namespace conveyor::cli
