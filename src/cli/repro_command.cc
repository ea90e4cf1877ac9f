// `conveyor repro`: run the stages whose inputs changed.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/pipeline_commands.h"
#include "common/subprocess.h"
#include "pipeline/repro.h"

namespace conveyor::cli {

namespace {

// Prints progress the way DVC users expect to read it.
class ConsoleListener : public ReproListener {
 public:
  ConsoleListener(Console& console, bool dry) : console_(console), dry_(dry) {}

  void StageSkipped(const StageNode& node, std::string_view reason) override {
    console_.Note(fmt::format("Stage '{}' {}, skipping", node.Address(), reason));
  }
  void StageStarting(const StageNode& node, const std::vector<Change>& why) override {
    console_.Note(fmt::format("{} stage '{}':", dry_ ? "Would run" : "Running", node.Address()));
    for (const Change& change : why) {
      std::string line = fmt::format("  because {}: {}", change.Label(), change.subject);
      if (!change.detail.empty())
        line += " (" + change.detail + ")";
      console_.Detail(line);
    }
  }
  void StageRestored(const StageNode& node) override {
    console_.Note(
        fmt::format("Stage '{}' ran before with these inputs: restoring its outputs "
                    "from the run cache",
                    node.Address()));
  }
  void CommandStarting(const StageNode&, std::string_view command) override {
    console_.Note(fmt::format("> {}", command));
  }
  void StageFinished(const StageNode& node, StageResult result, const Status& status) override {
    if (result == StageResult::kFailed && !status.ok()) {
      console_.Detail(fmt::format("Stage '{}' failed", node.Address()));
    }
  }
  void LockWritten(std::string_view lock_path) override {
    console_.Note(fmt::format("Updating lock file '{}'", lock_path));
  }

 private:
  Console& console_;
  const bool dry_;
};

class ReproCommand : public Command {
 public:
  std::string_view Name() const override { return "repro"; }
  std::string_view Summary() const override {
    return "Run the pipeline's stages whose command, dependencies, params or outputs changed";
  }
  void Configure(CLI::App& app) override {
    app.add_option("targets", options_.targets,
                   "Stages to reproduce, with everything upstream of them (default: all)");
    app.add_flag("-f,--force", options_.force, "Run the selected stages even if nothing changed");
    app.add_flag("--dry", options_.dry, "Say which stages would run and why; run nothing");
    app.add_flag("-s,--single-item", options_.single_item,
                 "Only the named stages, not what they depend on");
    app.add_flag("--downstream", options_.downstream,
                 "The named stages and every stage that depends on them");
    app.add_option("-j,--jobs", options_.jobs,
                   "Independent stages to run at once; their output is prefixed by stage name")
        ->check(CLI::Range(1, 256));
    app.add_flag("--no-run-cache", no_run_cache_,
                 "Always run changed stages, even if this exact run was cached before");
    app.footer(
        "Examples:\n"
        "  conveyor repro                 run whatever changed\n"
        "  conveyor repro train -f        rerun 'train' and what it needs\n"
        "  conveyor repro --dry -v        list what would run and why\n"
        "  conveyor repro -j 2            run independent stages two at a time");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    options_.run_cache = !no_run_cache_;
    ASSIGN_OR_RETURN(std::unique_ptr<LoadedPipeline> loaded,
                     LoadPipeline(global, options_.dry ? Access::kRead : Access::kWrite));
    InstallInterruptHandlers();
    ShellRunner runner;
    ConsoleListener listener(console, options_.dry);
    Repro repro(loaded->project, loaded->workspace, runner, listener);
    ASSIGN_OR_RETURN(ReproSummary summary, repro.Run(options_));
    size_t ran = summary.Count(StageResult::kRan) + summary.Count(StageResult::kRestored);
    if (options_.dry) {
      console.Out(fmt::format("{} stage(s) would run.", summary.Count(StageResult::kWouldRun)));
    } else if (ran == 0) {
      console.Out("Data and pipelines are up to date.");
    } else {
      console.Out(fmt::format("Reproduced {} stage(s); {} up to date.", ran,
                              summary.Count(StageResult::kUpToDate)));
    }
    return OkStatus();
  }

 private:
  ReproOptions options_;
  bool no_run_cache_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeReproCommand() { return std::make_unique<ReproCommand>(); }

}  // namespace conveyor::cli
