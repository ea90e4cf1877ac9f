#include "cli/run_pipeline.h"

#include <CLI/CLI.hpp>
#include <atomic>

#include "cli/pipeline_commands.h"
#include "cli/registry_commands.h"
#include "common/subprocess.h"
#include "experiments/experiment_builder.h"
#include "experiments/pending_experiments.h"
#include "experiments/registry_location.h"
#include "pipeline/conveyor_config.h"
#include "registry/store_rules.h"

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

// Remembers whether any stage started, so a failure before anything ran (an
// unknown target, say) is not recorded as an experiment.
class RecordingListener : public ConsoleListener {
 public:
  using ConsoleListener::ConsoleListener;
  void StageStarting(const StageNode& node, const std::vector<Change>& why) override {
    started_ = true;
    ConsoleListener::StageStarting(node, why);
  }
  bool started() const { return started_; }

 private:
  std::atomic<bool> started_ = false;
};

// How a file under the project is shown: relative to its root.
std::string InProject(const Project& project, const std::filesystem::path& file) {
  return file.lexically_relative(project.root()).string();
}

void SayRecorded(Console& console, const ExperimentRecord& record,
                 const std::vector<ModelVersion>& versions, std::string_view kept_from = "") {
  std::string models;
  for (const ModelVersion& version : versions)
    models += fmt::format("{}{} v{}", models.empty() ? "; registered " : ", ", version.model,
                          version.version);
  console.Out(fmt::format("Experiment {}{} recorded ({}){}{}.", record.tag,
                          record.dirty ? " (uncommitted changes)" : "",
                          ExperimentStatusName(record.status), models,
                          kept_from.empty() ? "" : fmt::format(" from {}", kept_from)));
}

// Records the runs an earlier registry failure left in .conveyor/pending/.
// Failing that (the registry is still unwritable) only warns: this run is
// then kept beside them.
void RecordPending(const Project& project, RegistryStore& store, Console& console) {
  const std::filesystem::path dir = PendingExperimentsDir(project.root());
  Result<std::vector<RecordedPending>> recorded = RecordPendingExperiments(store, dir);
  if (!recorded.ok()) {
    console.Warn("experiments kept in " + InProject(project, dir) +
                 " from earlier runs were not recorded: " + recorded.status().message());
    return;
  }
  for (const RecordedPending& entry : *recorded) {
    if (entry.already_recorded) {
      console.Note(fmt::format("Experiment {} was recorded already; removed {}", entry.record.tag,
                               InProject(project, entry.file)));
    } else {
      SayRecorded(console, entry.record, entry.versions, InProject(project, entry.file));
    }
  }
}

Status Record(const LoadedPipeline& loaded, const ConveyorConfig& config, const GitContext& git,
              const RunInfo& run, RegistryStore& store, Console& console) {
  ASSIGN_OR_RETURN(ExperimentDraft draft,
                   BuildExperiment(loaded.project, loaded.workspace, config, git, run));
  const std::string actor = CurrentActor();
  for (NewModelVersion& model : draft.models)
    model.created_by = actor;
  // Runs kept earlier go first (their model versions are older); if some
  // still cannot be recorded, this one waits behind them.
  const std::filesystem::path pending_dir = PendingExperimentsDir(loaded.project.root());
  Result<std::vector<std::filesystem::path>> waiting = ListPendingExperiments(pending_dir);
  if (waiting.ok() && !waiting->empty()) {
    RecordPending(loaded.project, store, console);
    waiting = ListPendingExperiments(pending_dir);
  }
  if (waiting.ok() && !waiting->empty()) {
    ASSIGN_OR_RETURN(std::filesystem::path kept, KeepPendingExperiment(pending_dir, draft));
    return Error(Code::kUnavailable,
                 "{} earlier run(s) in {} could not be recorded yet, so this one is kept "
                 "behind them in {}; the next 'conveyor repro' records them in order",
                 waiting->size(), InProject(loaded.project, pending_dir),
                 InProject(loaded.project, kept));
  }
  Result<std::pair<ExperimentRecord, std::vector<ModelVersion>>> recorded =
      RecordExperiment(store, draft, actor);
  if (!recorded.ok()) {
    // The outputs are cached and dvc.lock is written: a rerun would find
    // nothing to run, so the record is kept for the next one to add.
    Result<std::filesystem::path> kept = KeepPendingExperiment(pending_dir, draft);
    if (!kept.ok()) {
      return recorded.status().WithContext(
          fmt::format("and it could not be kept for later ({})", kept.status().message()));
    }
    return Error(recorded.status().code(),
                 "{}; the record is kept in {} and the next 'conveyor repro' records it",
                 recorded.status().message(), InProject(loaded.project, *kept));
  }
  SayRecorded(console, recorded->first, recorded->second);
  return OkStatus();
}

}  // namespace

void AddRunFlags(CLI::App& app, PipelineRunOptions& options) {
  app.add_option("targets", options.repro.targets,
                 "Stages to reproduce, with everything upstream of them (default: all)");
  app.add_flag("-f,--force", options.repro.force,
               "Run the selected stages even if nothing changed");
  app.add_flag("--dry", options.repro.dry, "Say which stages would run and why; run nothing");
  app.add_flag("-s,--single-item", options.repro.single_item,
               "Only the named stages, not what they depend on");
  app.add_flag("--downstream", options.repro.downstream,
               "The named stages and every stage that depends on them");
  app.add_option("-j,--jobs", options.repro.jobs,
                 "Independent stages to run at once; their output is prefixed by stage name")
      ->check(CLI::Range(1, 256));
  app.add_flag("--no-record", options.no_record,
               "Do not record this run as an experiment in the registry");
  AddRegistryFlag(app, options.registry);
  app.add_flag("--no-run-cache", options.no_run_cache,
               "Always run changed stages, even if this exact run was cached before");
}

Status RunPipeline(const GlobalOptions& global, Console& console,
                   const PipelineRunOptions& options) {
  const bool dry = options.repro.dry;
  // A name must be a valid tag, known before a long run rather than after.
  if (!options.name.empty()) {
    Status valid = ValidateExperimentTag(options.name);
    if (!valid.ok())
      return Error(Code::kUsage, "-n: {}", valid.message());
  }
  ASSIGN_OR_RETURN(std::unique_ptr<LoadedPipeline> loaded,
                   LoadPipeline(global, dry ? Access::kRead : Access::kWrite));
  // conveyor.yaml is checked before anything runs, not after a long run.
  ASSIGN_OR_RETURN(ConveyorConfig config, LoadConveyorConfig(loaded->project.root()));
  // The store is opened before the run, so that an unreachable database or
  // a taken name is known before a long run rather than after it.
  GitContext git;
  std::unique_ptr<RegistryStore> store;
  if (!options.no_record && !dry) {
    ASSIGN_OR_RETURN(store, OpenProjectRegistry(loaded->project, config, options.registry));
    if (!options.name.empty()) {
      ASSIGN_OR_RETURN(std::vector<ExperimentRecord> taken, store->FindExperiments(options.name));
      for (const ExperimentRecord& record : taken) {
        if (record.tag == options.name) {
          return Error(Code::kAlreadyExists,
                       "an experiment is already named '{}'; choose another -n NAME, or "
                       "'conveyor exp remove {}' first",
                       options.name, options.name);
        }
      }
    }
    RecordPending(loaded->project, *store, console);
  }
  if (!options.overrides.empty()) {
    ASSIGN_OR_RETURN(std::vector<std::string> changed,
                     ApplyParamOverrides(loaded->project.root(), options.overrides));
    for (const std::string& file : changed)
      console.Note(fmt::format("Updated parameters in '{}'", file));
    // The stages read params at load time: load again with the new values.
    ASSIGN_OR_RETURN(Workspace reloaded, Workspace::Load(loaded->project));
    loaded->workspace = std::move(reloaded);
  }
  // The state the run starts from (its own dvc.lock updates do not make it
  // "uncommitted"). Read only when the run will be recorded.
  if (store != nullptr) {
    ASSIGN_OR_RETURN(git, ReadGitContext(loaded->project));
  }
  InstallInterruptHandlers();
  ShellRunner runner;
  RecordingListener listener(console, dry);
  Repro repro(loaded->project, loaded->workspace, runner, listener);
  RunInfo run;
  run.name = options.name;
  run.started_at_ms = NowMs();
  ReproOptions repro_options = options.repro;
  repro_options.run_cache = !options.no_run_cache;
  Result<ReproSummary> summary = repro.Run(repro_options);
  run.finished_at_ms = NowMs();
  run.outcome = summary.status();

  size_t ran = 0;
  if (summary.ok()) {
    ran = summary->Count(StageResult::kRan) + summary->Count(StageResult::kRestored);
    if (dry) {
      console.Out(fmt::format("{} stage(s) would run.", summary->Count(StageResult::kWouldRun)));
    } else if (ran == 0) {
      console.Out("Data and pipelines are up to date.");
    } else {
      console.Out(fmt::format("Reproduced {} stage(s); {} up to date.", ran,
                              summary->Count(StageResult::kUpToDate)));
    }
  }
  bool worth_recording = !dry && (summary.ok() ? ran > 0 : listener.started());
  if (!options.no_record && worth_recording) {
    Status recorded = Record(*loaded, config, git, run, *store, console);
    if (!recorded.ok() && summary.ok()) {
      return recorded.WithContext("the pipeline ran, but its experiment was not recorded");
    }
    if (!recorded.ok())
      console.Warn("the failed run was not recorded: " + recorded.message());
  }
  return summary.status();
}

}  // namespace conveyor::cli
