// RetrainTrigger: starts a retraining run when Alertmanager reports a firing
// alert that a rule names (POST /hooks/alertmanager, alert_hook_service.h),
// so the deployed model's own monitoring decides when to retrain — or when
// a schedule says so (retrain_schedule.h).
//
// What a run does is its action (RetrainAction):
//   - ShellRetrainAction: a shell command (`--retrain-command`, e.g.
//     `conveyor repro && conveyor model promote digits@latest production
//     --if-better accuracy`) run in a working directory, with
//     CONVEYOR_RETRAIN_ALERT (the alert's name, or "schedule") and
//     CONVEYOR_RETRAIN_RUN (n) in its environment; it succeeds when the
//     command exits 0.
//   - a CI pipeline started through the forge's API (`--retrain-pipeline`,
//     ci/pipeline_trigger.h); it succeeds when the pipeline was created.
// Either way the run's output goes to <log_dir>/<UTC time>-<n>.log.
//
// The rule (DecideRetrain, a pure function): a payload starts a run when it
// has a firing alert whose name is in `alerts`, no run is going on, and the
// last run started at least `cooldown` ago. Resolved alerts, other names,
// repeats while a run goes on or within the cool-down start nothing — each
// with its reason, for the answer and the log — and nothing is queued:
// Alertmanager repeats a firing alert (repeat_interval), and the next
// repeat after the cool-down is acted on. A scheduled start (OnSchedule)
// only waits for a run going on: the schedule is the user's explicit wish.
//
// Thread safety: OnAlerts and OnSchedule may be called from any number of
// threads; runs happen one at a time on a thread of the trigger's own. The
// destructor waits for a run in progress (serve's SIGTERM reaches a
// command's process group first, so it ends).
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

// One run, as its action sees it.
struct RetrainRun {
  int number = 0;             // 1, 2, …
  std::string trigger;        // the alert's name, or "schedule"
  std::filesystem::path log;  // where its output goes
};

// Does run `run`; returns how it went in a few words ("succeeded", "started
// GitLab pipeline 257: URL") or why it failed.
using RetrainAction = std::function<Result<std::string>(const RetrainRun& run)>;

// The shell command `command` in `workdir`, through `runner` (which must
// outlive the action).
RetrainAction ShellRetrainAction(std::string command, std::filesystem::path workdir,
                                 CommandRunner& runner);

struct RetrainOptions {
  std::set<std::string> alerts;  // alert names that start a run
  std::chrono::seconds cooldown{3600};
  RetrainAction action;
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

  // `note` gets one line per decision and per finished run.
  RetrainTrigger(
      RetrainOptions options, Note note,
      std::function<Clock::time_point()> now = [] { return Clock::now(); });
  ~RetrainTrigger();
  RetrainTrigger(const RetrainTrigger&) = delete;
  RetrainTrigger& operator=(const RetrainTrigger&) = delete;

  RetrainOutcome OnAlerts(const AlertmanagerPayload& payload);
  // A schedule's time came (`what`: "cron 0 3 * * *"): starts a run unless
  // one is going on.
  RetrainOutcome OnSchedule(std::string_view what);

  // Waits until no run is going on (tests).
  void WaitIdle();

  int runs_started() const;
  int runs_failed() const;

 private:
  // Starts run `decision` describes, if it says to; requires mu_.
  void StartLocked(RetrainOutcome& outcome, Clock::time_point now, std::thread& finished);
  void Execute(RetrainRun run);

  const RetrainOptions options_;
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
