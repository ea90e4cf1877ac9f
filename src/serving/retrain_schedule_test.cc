#include "serving/retrain_schedule.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "testing/temp_dir.h"
#include "testing/time_scale.h"

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
  // A second's lead: the schedule must be built before the minute comes.
  const auto offset = OffsetTo(1s);
  const auto start = std::chrono::steady_clock::now();
  {
    RetrainSchedule schedule(*ParseCron("* * * * *"), trigger,
                             [offset] { return system_clock::now() + offset; });
    ASSERT_TRUE(schedule.next().has_value());
    conveyor::testing::WaitUntil(
        5000ms, [&] { return runs > 0; }, 20ms);
    EXPECT_EQ(runs, 1);
    trigger.WaitIdle();
    // The next is a minute later; destroying the schedule does not wait.
    const auto next = *schedule.next();
    EXPECT_GE(next - (system_clock::now() + offset), 50s);
  }
  // Well short of the minute the next run is due in.
  EXPECT_LT(std::chrono::steady_clock::now() - start, conveyor::testing::Scaled(6000ms));
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
