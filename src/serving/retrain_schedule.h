// RetrainSchedule: starts retraining runs on a timetable (`--retrain-schedule
// CRON`, common/cron.h, UTC), for teams that retrain periodically whatever
// the monitoring says. At each time the schedule names, it asks the trigger
// for a run (RetrainTrigger::OnSchedule: started unless one is going on).
// A time missed while the machine slept or the process was busy is not made
// up: the next one is computed from the clock when the wait ends.
//
// Thread safety: the schedule runs on a thread of its own from construction
// to destruction; the destructor wakes and joins it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "common/cron.h"
#include "serving/retrain_trigger.h"

namespace conveyor::serving {

class RetrainSchedule {
 public:
  using Now = std::function<std::chrono::system_clock::time_point()>;

  // `trigger` must outlive the schedule. `now` is the wall clock (tests
  // shift it); waits are measured on the steady clock.
  RetrainSchedule(
      CronSchedule schedule, RetrainTrigger& trigger,
      Now now = [] { return std::chrono::system_clock::now(); });
  ~RetrainSchedule();
  RetrainSchedule(const RetrainSchedule&) = delete;
  RetrainSchedule& operator=(const RetrainSchedule&) = delete;

  // The next time a run is due; nullopt when the schedule never comes.
  std::optional<std::chrono::system_clock::time_point> next() const;

 private:
  void Loop();

  const CronSchedule schedule_;
  RetrainTrigger& trigger_;
  const Now now_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;                                          // guarded by mu_
  std::optional<std::chrono::system_clock::time_point> next_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace conveyor::serving
