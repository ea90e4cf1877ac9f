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

RetrainTrigger::RetrainTrigger(RetrainOptions options, CommandRunner& runner, Note note,
                               std::function<Clock::time_point()> now)
    : options_(std::move(options)), runner_(runner), note_(std::move(note)), now_(std::move(now)) {}

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

RetrainOutcome RetrainTrigger::OnAlerts(const AlertmanagerPayload& payload) {
  RetrainOutcome outcome;
  std::thread finished;
  {
    std::lock_guard lock(mu_);
    Clock::time_point now = now_();
    outcome.decision =
        DecideRetrain(payload, options_.alerts, running_, last_start_, options_.cooldown, now);
    if (outcome.decision.start) {
      running_ = true;
      last_start_ = now;
      outcome.run = ++runs_;
      outcome.log = options_.log_dir / fmt::format("{:%Y%m%dT%H%M%SZ}-{}.log",
                                                   fmt::gmtime(std::chrono::system_clock::to_time_t(
                                                       std::chrono::system_clock::now())),
                                                   outcome.run);
      finished = std::move(worker_);  // a previous run's thread, done
      worker_ = std::thread(&RetrainTrigger::Execute, this, outcome.run, outcome.decision.alert,
                            outcome.log);
    }
  }
  if (finished.joinable())
    finished.join();
  note_(outcome.run > 0 ? fmt::format("retraining run {}: {} (log {})", outcome.run,
                                      outcome.decision.reason, outcome.log.string())
                        : fmt::format("alert received: {}", outcome.decision.reason));
  return outcome;
}

void RetrainTrigger::Execute(int run, const std::string& alert, const std::filesystem::path& log) {
  std::error_code ec;
  std::filesystem::create_directories(log.parent_path(), ec);
  CommandSpec spec;
  spec.cwd = options_.workdir;
  spec.command = fmt::format("CONVEYOR_RETRAIN_ALERT={} CONVEYOR_RETRAIN_RUN={} exec >{} 2>&1; {}",
                             ShellQuote(alert), run, ShellQuote(log.string()), options_.command);
  Result<CommandResult> result = runner_.Run(spec);
  bool ok = result.ok() && result->ok();
  std::string how = !result.ok()   ? result.status().message()
                    : result->ok() ? std::string("succeeded")
                                   : "failed: the command " + result->Describe();
  {
    std::lock_guard lock(mu_);
    running_ = false;
    if (!ok)
      ++failed_;
  }
  note_(fmt::format("retraining run {} {} (log {})", run, how, log.string()));
}

}  // namespace conveyor::serving
