#include "cli/retrain_flags.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <system_error>

#include "ci/curl_http_client.h"
#include "cli/console.h"
#include "common/environment.h"
#include "common/file_util.h"

namespace conveyor::cli {

void RetrainFlags::Add(CLI::App& app) {
  app.add_option("--retrain-on", alerts,
                 "Alert name (Alertmanager's alertname) whose firing starts a retraining run "
                 "through POST /hooks/alertmanager; repeatable")
      ->type_name("ALERT");
  app.add_option("--retrain-schedule", schedule,
                 "Also start a retraining run on this cron schedule (UTC), e.g. '0 3 * * *' or "
                 "@daily")
      ->type_name("CRON");
  app.add_option("--retrain-command", command,
                 "A retraining run is this shell command, e.g. \"conveyor repro && conveyor "
                 "model promote digits@latest production --if-better accuracy\"; one run at a "
                 "time, output in DIR/.conveyor/retrain/")
      ->type_name("CMD");
  app.add_option("--retrain-pipeline", pipeline,
                 "A retraining run is a CI pipeline instead: gitlab:PROJECT[@REF] (token in "
                 "CONVEYOR_GITLAB_TRIGGER_TOKEN) or github:OWNER/REPO/WORKFLOW[@REF] "
                 "(workflow_dispatch; token in CONVEYOR_GITHUB_TOKEN or GITHUB_TOKEN)")
      ->type_name("TARGET");
  app.add_option("--retrain-api-url", api_url,
                 "The forge's API root for --retrain-pipeline (a self-hosted GitLab: "
                 "https://gitlab.example.com/api/v4)")
      ->type_name("URL");
  app.add_option("--retrain-dir", dir,
                 "Where the retraining command runs (default: the current directory)")
      ->type_name("DIR");
  app.add_option("--retrain-cooldown", cooldown_seconds,
                 "Seconds after a run starts during which firing alerts start nothing")
      ->capture_default_str()
      ->check(CLI::Range(0, 30 * 86400));
}

Status RetrainFlags::Check(const GlobalOptions& global) {
  if (!command.empty() && !pipeline.empty()) {
    return Error(Code::kUsage,
                 "--retrain-command and --retrain-pipeline are two kinds of run: give one");
  }
  const bool fired = !alerts.empty() || !schedule.empty();
  if (Configured() != fired) {
    return Error(Code::kUsage, "{}",
                 Configured()
                     ? "a retraining run needs something to start it: --retrain-on ALERT "
                       "and/or --retrain-schedule CRON"
                     : "--retrain-on and --retrain-schedule start a run: say what it is with "
                       "--retrain-command CMD or --retrain-pipeline TARGET");
  }
  if (!dir.empty() && command.empty())
    return Error(Code::kUsage, "--retrain-dir goes with --retrain-command");
  if (!api_url.empty() && pipeline.empty())
    return Error(Code::kUsage, "--retrain-api-url goes with --retrain-pipeline");
  workdir = dir.empty() ? global.cwd : global.cwd / dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(workdir, ec))
    return Error(Code::kUsage, "--retrain-dir {}: no such directory", workdir.string());
  if (!schedule.empty()) {
    ASSIGN_OR_RETURN(CronSchedule parsed, ParseCron(schedule));
    cron = std::move(parsed);
  }
  if (!pipeline.empty()) {
    ASSIGN_OR_RETURN(ci::PipelineTarget parsed, ci::ParsePipelineTarget(pipeline, api_url));
    target = std::move(parsed);
  }
  return OkStatus();
}

RetrainSetup::~RetrainSetup() {
  // The schedule and the hook call the trigger: they go first.
  schedule_.reset();
  hook_.reset();
  trigger_.reset();
}

Result<std::unique_ptr<RetrainSetup>> RetrainSetup::Build(const RetrainFlags& flags,
                                                          Console& console) {
  std::unique_ptr<RetrainSetup> setup(new RetrainSetup());
  serving::RetrainAction action;
  std::string what;
  if (flags.target.has_value()) {
    ASSIGN_OR_RETURN(setup->context_, ci::PipelineContext(*flags.target, ProcessEnvironment()));
    setup->http_ = std::make_unique<ci::CurlHttpClient>();
    // One attempt per run: a POST that timed out or got a proxy's 502 may
    // have started the pipeline, and a second one would retrain twice. A
    // failed start is said; the next alert or schedule tries again.
    setup->api_ = std::make_unique<ci::ForgeApi>(setup->context_, *setup->http_, setup->clock_,
                                                 ci::RetryOptions{.max_attempts = 1});
    ci::ForgeApi* api = setup->api_.get();
    const ci::PipelineTarget target = *flags.target;
    action = [api, target](const serving::RetrainRun& run) -> Result<std::string> {
      ASSIGN_OR_RETURN(ci::StartedPipeline started,
                       ci::StartPipeline(*api, target,
                                         {{"CONVEYOR_RETRAIN_ALERT", run.trigger},
                                          {"CONVEYOR_RETRAIN_RUN", std::to_string(run.number)}}));
      std::string line = started.id.empty()
                             ? fmt::format("started {}: {}", target.Describe(), started.url)
                             : fmt::format("started pipeline {} ({}): {}", started.id,
                                           target.Describe(), started.url);
      Status logged = AtomicWriteFile(run.log, line + "\n");
      (void)logged;  // the log is a convenience; the note carries the line too
      return line;
    };
    what = target.Describe();
  } else {
    action = serving::ShellRetrainAction(flags.command, flags.workdir, setup->runner_);
    what = fmt::format("'{}' in {}", flags.command, flags.workdir.string());
  }
  setup->trigger_ = std::make_unique<serving::RetrainTrigger>(
      serving::RetrainOptions{.alerts = {flags.alerts.begin(), flags.alerts.end()},
                              .cooldown = std::chrono::seconds(flags.cooldown_seconds),
                              .action = std::move(action),
                              .log_dir = flags.workdir / ".conveyor" / "retrain"},
      [&console](std::string_view line) { console.Note(std::string(line)); });
  std::vector<std::string> when;
  if (!flags.alerts.empty()) {
    setup->hook_ = std::make_unique<serving::AlertHookService>(*setup->trigger_);
    when.push_back(fmt::format("when {} fires (POST /hooks/alertmanager; cool-down {} s)",
                               fmt::join(flags.alerts, " or "), flags.cooldown_seconds));
  }
  if (flags.cron.has_value()) {
    setup->schedule_ = std::make_unique<serving::RetrainSchedule>(*flags.cron, *setup->trigger_);
    when.push_back(fmt::format("on cron '{}' (UTC)", flags.cron->text));
  }
  setup->description_ = fmt::format("Retraining runs {} {}", what, fmt::join(when, ", and "));
  return setup;
}

}  // namespace conveyor::cli
