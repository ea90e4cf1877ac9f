// A Clock for tests: Now() starts at a fixed instant and moves only when
// Sleep is called, which records the wait instead of sleeping.
//
// Thread safety: not thread-safe (the retry loop runs on the test's thread).
#pragma once

#include <chrono>
#include <vector>

#include "ci/http_client.h"

namespace conveyor::ci::testing {

class FakeClock final : public Clock {
 public:
  // 2024-01-01T00:00:00Z.
  static constexpr int64_t kStart = 1'704'067'200;

  std::chrono::system_clock::time_point Now() override { return now_; }
  void Sleep(std::chrono::milliseconds duration) override {
    sleeps_.push_back(duration);
    now_ += duration;
  }
  const std::vector<std::chrono::milliseconds>& sleeps() const { return sleeps_; }

 private:
  std::chrono::system_clock::time_point now_{std::chrono::seconds(kStart)};
  std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace conveyor::ci::testing
