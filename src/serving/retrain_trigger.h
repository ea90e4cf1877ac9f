// RetrainTrigger: starts a retraining run when Alertmanager reports a firing
// alert that a rule names (POST /hooks/alertmanager, alert_hook_service.h),
// so the deployed model's own monitoring decides when to retrain.
//
// A run is a shell command (`serve --retrain-command`, e.g. `conveyor repro
// && conveyor push && conveyor model promote digits@latest production
// --if-better accuracy`) run in a working directory, its output kept in
// <log_dir>/<UTC time>-<n>.log, with CONVEYOR_RETRAIN_ALERT (the alert's
// name) and CONVEYOR_RETRAIN_RUN (n) in its environment.
//
// The rule (DecideRetrain, a pure function): a payload starts a run when it
// has a firing alert whose name is in `alerts`, no run is going on, and the
// last run started at least `cooldown` ago. Resolved alerts, other names,
// repeats while a run goes on or within the cool-down start nothing — each
// with its reason, for the answer and the log — and nothing is queued:
// Alertmanager repeats a firing alert (repeat_interval), and the next
// repeat after the cool-down is acted on.
//
// Thread safety: OnAlerts may be called from any number of threads; runs
// happen one at a time on a thread of the trigger's own. The destructor
// waits for a run in progress (serve's SIGTERM reaches the command's process
// group first, so it ends).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "common/subprocess.h"
#include "serving/alertmanager.h"

namespace conveyor::serving {

struct RetrainOptions {
  std::set<std::string> alerts;  // alert names that start a run
  std::chrono::seconds cooldown{3600};
  std::string command;
  std::filesystem::path workdir;
  std::filesystem::path log_dir;
};

struct RetrainDecision {
  bool start = false;
  std::string alert;   // the alert that starts the run
  std::string reason;  // one line, either way
};

// The rule above. `last_start` is unset before the first run.
RetrainDecision DecideRetrain(const AlertmanagerPayload& payload,
                              const std::set<std::string>& alerts, bool running,
                              std::optional<std::chrono::steady_clock::time_point> last_start,
                              std::chrono::seconds cooldown,
                              std::chrono::steady_clock::time_point now);

struct RetrainOutcome {
  RetrainDecision decision;
  int run = 0;                // the run started (1, 2, …); 0 when none
  std::filesystem::path log;  // its log
};

class RetrainTrigger {
 public:
  using Clock = std::chrono::steady_clock;
  using Note = std::function<void(std::string_view)>;

  // `runner` (ShellRunner in serve; a fake in tests) must outlive the
  // trigger. `note` gets one line per decision and per finished run.
  RetrainTrigger(
      RetrainOptions options, CommandRunner& runner, Note note,
      std::function<Clock::time_point()> now = [] { return Clock::now(); });
  ~RetrainTrigger();
  RetrainTrigger(const RetrainTrigger&) = delete;
  RetrainTrigger& operator=(const RetrainTrigger&) = delete;

  RetrainOutcome OnAlerts(const AlertmanagerPayload& payload);

  // Waits until no run is going on (tests).
  void WaitIdle();

  int runs_started() const;
  int runs_failed() const;

 private:
  void Execute(int run, const std::string& alert, const std::filesystem::path& log);

  const RetrainOptions options_;
  CommandRunner& runner_;
  const Note note_;
  const std::function<Clock::time_point()> now_;

  mutable std::mutex mu_;
  bool running_ = false;                         // guarded by mu_
  std::optional<Clock::time_point> last_start_;  // guarded by mu_
  int runs_ = 0;                                 // guarded by mu_
  int failed_ = 0;                               // guarded by mu_
  std::thread worker_;                           // guarded by mu_; joined before reuse
};

}  // namespace conveyor::serving
