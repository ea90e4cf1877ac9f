// The retraining flags `conveyor serve` and `conveyor watch` share, and what
// they start: a RetrainTrigger whose runs are a shell command or a CI
// pipeline, fired by Alertmanager's webhook (--retrain-on) and/or a cron
// schedule (--retrain-schedule).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ci/forge_api.h"
#include "ci/pipeline_trigger.h"
#include "cli/command.h"
#include "common/cron.h"
#include "common/subprocess.h"
#include "serving/alert_hook_service.h"
#include "serving/retrain_schedule.h"
#include "serving/retrain_trigger.h"

namespace CLI {
class App;
}  // namespace CLI

namespace conveyor::cli {

struct RetrainFlags {
  std::vector<std::string> alerts;
  std::string command;
  std::string pipeline;
  std::string api_url;
  std::string schedule;
  std::string dir;
  int cooldown_seconds = 3600;

  // Resolved by Check.
  std::filesystem::path workdir;  // where a command runs and runs' logs go
  std::optional<CronSchedule> cron;
  std::optional<ci::PipelineTarget> target;

  // Declares the flags on `app`.
  void Add(CLI::App& app);
  // The flags' combinations (usage errors naming the flags), the directory,
  // the schedule and the pipeline target.
  Status Check(const GlobalOptions& global);
  // A command or a pipeline is set (Check has passed).
  bool Configured() const { return !command.empty() || !pipeline.empty(); }
};

// What the flags start, alive as long as this object.
class RetrainSetup {
 public:
  // Builds the action (for a pipeline: its token from the environment, an
  // error naming the variable when unset), the trigger, the alert hook when
  // --retrain-on, and the schedule when --retrain-schedule. `console` gets a
  // line per decision and finished run; it must outlive the setup.
  static Result<std::unique_ptr<RetrainSetup>> Build(const RetrainFlags& flags, Console& console);
  ~RetrainSetup();

  serving::RetrainTrigger& trigger() { return *trigger_; }
  // Null without --retrain-on.
  serving::AlertHookService* alert_hook() { return hook_.get(); }
  // One line for start-up: what runs, on which alerts, on which schedule.
  const std::string& description() const { return description_; }

 private:
  RetrainSetup() = default;

  ShellRunner runner_;
  std::unique_ptr<ci::HttpClient> http_;
  ci::SystemClock clock_;
  ci::CiContext context_;
  std::unique_ptr<ci::ForgeApi> api_;
  std::unique_ptr<serving::RetrainTrigger> trigger_;
  std::unique_ptr<serving::AlertHookService> hook_;
  std::unique_ptr<serving::RetrainSchedule> schedule_;
  std::string description_;
};

}  // namespace conveyor::cli
