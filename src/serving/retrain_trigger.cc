#include "serving/retrain_trigger.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <system_error>

namespace conveyor::serving {

RetrainDecision DecideRetrain(const AlertmanagerPayload& payload,
                              const std::set<std::string>& alerts, bool running,
                              std::optional<std::chrono::steady_clock::time_point> last_start,
                              std::chrono::seconds cooldown,
                              std::chrono::steady_clock::time_point now) {
  RetrainDecision decision;
  size_t resolved = 0;
  size_t other = 0;
  for (const Alert& alert : payload.alerts) {
    if (!alert.firing) {
      ++resolved;
    } else if (alerts.count(alert.name) == 0) {
      ++other;
    } else if (decision.alert.empty()) {
      decision.alert = alert.name;
    }
  }
  if (decision.alert.empty()) {
    decision.reason = fmt::format(
        "no firing alert that starts retraining ({} resolved, {} firing with another name)",
        resolved, other);
    return decision;
  }
  if (running) {
    decision.reason = fmt::format("{} is firing, but a retraining run is going on", decision.alert);
    return decision;
  }
  if (last_start.has_value() && now - *last_start < cooldown) {
    auto since = std::chrono::duration_cast<std::chrono::seconds>(now - *last_start);
    decision.reason =
        fmt::format("{} is firing, but the last run started {} s ago (cool-down {} s)",
                    decision.alert, since.count(), cooldown.count());
    return decision;
  }
  decision.start = true;
  decision.reason = fmt::format("{} is firing: starting a retraining run", decision.alert);
  return decision;
}

RetrainAction ShellRetrainAction(std::string command, std::filesystem::path workdir,
                                 CommandRunner& runner) {
  return [command = std::move(command), workdir = std::move(workdir),
          &runner](const RetrainRun& run) -> Result<std::string> {
    CommandSpec spec;
    spec.cwd = workdir;
    spec.command =
        fmt::format("CONVEYOR_RETRAIN_ALERT={} CONVEYOR_RETRAIN_RUN={} exec >{} 2>&1; {}",
                    ShellQuote(run.trigger), run.number, ShellQuote(run.log.string()), command);
    ASSIGN_OR_RETURN(CommandResult result, runner.Run(spec));
    if (!result.ok())
      return Error(Code::kFailed, "the command {}", result.Describe());
    return std::string("succeeded");
  };
}

RetrainTrigger::RetrainTrigger(RetrainOptions options, Note note,
                               std::function<Clock::time_point()> now)
    : options_(std::move(options)), note_(std::move(note)), now_(std::move(now)) {}

RetrainTrigger::~RetrainTrigger() { WaitIdle(); }

void RetrainTrigger::WaitIdle() {
  std::thread worker;
  {
    std::lock_guard lock(mu_);
    worker = std::move(worker_);
  }
  if (worker.joinable())
    worker.join();
}

int RetrainTrigger::runs_started() const {
  std::lock_guard lock(mu_);
  return runs_;
}

int RetrainTrigger::runs_failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

void RetrainTrigger::StartLocked(RetrainOutcome& outcome, Clock::time_point now,
                                 std::thread& finished) {
  running_ = true;
  last_start_ = now;
  outcome.run = ++runs_;
  outcome.log = options_.log_dir / fmt::format("{:%Y%m%dT%H%M%SZ}-{}.log",
                                               fmt::gmtime(std::chrono::system_clock::to_time_t(
                                                   std::chrono::system_clock::now())),
                                               outcome.run);
  finished = std::move(worker_);  // a previous run's thread, done
  worker_ = std::thread(&RetrainTrigger::Execute, this,
                        RetrainRun{outcome.run, outcome.decision.alert, outcome.log});
}

RetrainOutcome RetrainTrigger::OnAlerts(const AlertmanagerPayload& payload) {
  RetrainOutcome outcome;
  std::thread finished;
  {
    std::lock_guard lock(mu_);
    Clock::time_point now = now_();
    outcome.decision =
        DecideRetrain(payload, options_.alerts, running_, last_start_, options_.cooldown, now);
    if (outcome.decision.start)
      StartLocked(outcome, now, finished);
  }
  if (finished.joinable())
    finished.join();
  note_(outcome.run > 0 ? fmt::format("retraining run {}: {} (log {})", outcome.run,
                                      outcome.decision.reason, outcome.log.string())
                        : fmt::format("alert received: {}", outcome.decision.reason));
  return outcome;
}

RetrainOutcome RetrainTrigger::OnSchedule(std::string_view what) {
  RetrainOutcome outcome;
  outcome.decision.alert = "schedule";
  std::thread finished;
  {
    std::lock_guard lock(mu_);
    if (running_) {
      outcome.decision.reason = fmt::format("{} is due, but a retraining run is going on", what);
    } else {
      outcome.decision.start = true;
      outcome.decision.reason = fmt::format("{} is due: starting a retraining run", what);
      StartLocked(outcome, now_(), finished);
    }
  }
  if (finished.joinable())
    finished.join();
  note_(outcome.run > 0 ? fmt::format("retraining run {}: {} (log {})", outcome.run,
                                      outcome.decision.reason, outcome.log.string())
                        : outcome.decision.reason);
  return outcome;
}

void RetrainTrigger::Execute(RetrainRun run) {
  std::error_code ec;
  std::filesystem::create_directories(run.log.parent_path(), ec);
  // An action that throws (a library's surprise) must not take the server
  // down: std::thread would call std::terminate.
  Result<std::string> result = Error(Code::kInternal, "the run failed unexpectedly");
  try {
    result = options_.action(run);
  } catch (const std::exception& e) {
    result = Error(Code::kInternal, "the run failed unexpectedly: {}", e.what());
  }
  const std::string how = result.ok() ? *result : "failed: " + result.status().message();
  {
    std::lock_guard lock(mu_);
    running_ = false;
    if (!result.ok())
      ++failed_;
  }
  note_(fmt::format("retraining run {} {} (log {})", run.number, how, run.log.string()));
}

}  // namespace conveyor::serving
