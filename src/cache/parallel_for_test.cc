#include "cache/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
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

TEST(ParallelForTest, ReturnsAnErrorAndStops) {
  std::atomic<int> calls{0};
  Status status = ParallelFor(100000, 4, [&](size_t i) {
    calls.fetch_add(1);
    if (i == 10)
      return Error(Code::kIo, "boom at {}", i);
    return OkStatus();
  });
  EXPECT_EQ(status.message(), "boom at 10");
  EXPECT_LT(calls.load(), 100000);
}

}  // namespace
}  // namespace conveyor
