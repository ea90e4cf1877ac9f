#include "serving/retrain_schedule.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

// A wall clock shifted so that the next whole minute is `lead` away.
system_clock::time_point::duration OffsetTo(system_clock::duration lead) {
  const auto real = system_clock::now();
  const auto minute = std::chrono::ceil<std::chrono::minutes>(real + 1s);
  return (minute - lead) - real;
}

TEST(RetrainScheduleTest, StartsARunWhenTheMinuteComesAndStopsPromptly) {
  testing::TempDir dir;
  std::atomic<int> runs = 0;
  RetrainTrigger trigger({.action = [&](const RetrainRun& run) -> Result<std::string> {
                            EXPECT_EQ(run.trigger, "schedule");
                            ++runs;
                            return std::string("succeeded");
                          },
                          .log_dir = dir.path()},
                         [](std::string_view) {});
  const auto offset = OffsetTo(300ms);
  const auto start = std::chrono::steady_clock::now();
  {
    RetrainSchedule schedule(*ParseCron("* * * * *"), trigger,
                             [offset] { return system_clock::now() + offset; });
    ASSERT_TRUE(schedule.next().has_value());
    for (int i = 0; i < 100 && runs == 0; ++i)
      std::this_thread::sleep_for(20ms);
    EXPECT_EQ(runs, 1);
    trigger.WaitIdle();
    // The next is a minute later; destroying the schedule does not wait.
    const auto next = *schedule.next();
    EXPECT_GE(next - (system_clock::now() + offset), 50s);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(runs, 1);
}

TEST(RetrainScheduleTest, AScheduleThatNeverComesStartsNothing) {
  testing::TempDir dir;
  RetrainTrigger trigger({.action = [](const RetrainRun&) -> Result<std::string> {
                            ADD_FAILURE() << "ran";
                            return std::string("?");
                          },
                          .log_dir = dir.path()},
                         [](std::string_view) {});
  RetrainSchedule schedule(*ParseCron("0 0 31 2 *"), trigger);
  EXPECT_FALSE(schedule.next().has_value());
}

}  // namespace
}  // namespace conveyor::serving
