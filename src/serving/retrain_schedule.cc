#include "serving/retrain_schedule.h"

#include <utility>

namespace conveyor::serving {

RetrainSchedule::RetrainSchedule(CronSchedule schedule, RetrainTrigger& trigger, Now now)
    : schedule_(std::move(schedule)), trigger_(trigger), now_(std::move(now)) {
  next_ = NextCronTime(schedule_, now_());
  thread_ = std::thread([this] { Loop(); });
}

RetrainSchedule::~RetrainSchedule() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::optional<std::chrono::system_clock::time_point> RetrainSchedule::next() const {
  std::lock_guard lock(mu_);
  return next_;
}

void RetrainSchedule::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_ && next_.has_value()) {
    const auto due = *next_;
    // Waits in slices of at most a minute, so a wall clock that jumps (or a
    // suspended machine) is noticed soon after.
    const auto left = due - now_();
    if (left > std::chrono::system_clock::duration::zero()) {
      const auto slice = std::min<std::chrono::steady_clock::duration>(
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(left),
          std::chrono::minutes(1));
      wake_.wait_for(lock, slice, [this] { return stop_; });
      continue;
    }
    next_ = NextCronTime(schedule_, now_());
    lock.unlock();
    trigger_.OnSchedule("cron " + schedule_.text);
    lock.lock();
  }
}

}  // namespace conveyor::serving
