#include "cache/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace conveyor {
namespace {

TEST(ParallelForTest, VisitsEveryIndexOnce) {
  for (int threads : {1, 4}) {
    std::vector<std::atomic<int>> seen(1000);
    Status status = ParallelFor(seen.size(), threads, [&](size_t i) {
      seen[i].fetch_add(1);
      return OkStatus();
    });
    ASSERT_TRUE(status.ok());
    for (const auto& count : seen)
      EXPECT_EQ(count.load(), 1);
  }
}

TEST(ParallelForTest, ReturnsAnErrorAndStopsInline) {
  int calls = 0;
  Status status = ParallelFor(1000, 1, [&](size_t i) {
    ++calls;
    if (i == 10)
      return Error(Code::kIo, "boom at {}", i);
    return OkStatus();
  });
  EXPECT_EQ(status.message(), "boom at 10");
  EXPECT_EQ(calls, 11);
}

TEST(ParallelForTest, ReturnsAnErrorAndStops) {
  // Each passing call takes 200 us, so finishing every index would take the
  // four workers about 5 s: the failing thread would have to be descheduled
  // for that long for the check below to pass without stopping. (With
  // instant calls, a preempted failing thread let the others run all
  // 100,000 on a loaded CI machine.)
  constexpr size_t kCount = 100000;
  std::atomic<int> calls{0};
  Status status = ParallelFor(kCount, 4, [&](size_t i) {
    calls.fetch_add(1);
    if (i == 10)
      return Error(Code::kIo, "boom at {}", i);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    return OkStatus();
  });
  EXPECT_EQ(status.message(), "boom at 10");
  EXPECT_LT(calls.load(), static_cast<int>(kCount / 10));
}

}  // namespace
}  // namespace conveyor
