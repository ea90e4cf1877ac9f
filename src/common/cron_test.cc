#include "common/cron.h"

#include <gtest/gtest.h>

#include "common/utc_time.h"

namespace conveyor {
namespace {

using std::chrono::system_clock;

// "2026-11-28T01:02:00.000Z" → time point.
system_clock::time_point At(int y, unsigned mo, unsigned d, int h, int mi) {
  using namespace std::chrono;
  return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi);
}

std::string Next(const std::string& cron, system_clock::time_point after) {
  Result<CronSchedule> schedule = ParseCron(cron);
  if (!schedule.ok())
    return "error: " + schedule.status().message();
  auto next = NextCronTime(*schedule, after);
  if (!next.has_value())
    return "never";
  return FormatUtcMillis(
      std::chrono::duration_cast<std::chrono::milliseconds>(next->time_since_epoch()).count());
}

TEST(CronTest, NextTimesTable) {
  // Saturday 28 November 2026, 01:02:30 UTC.
  const auto now = At(2026, 11, 28, 1, 2) + std::chrono::seconds(30);
  struct Row {
    const char* cron;
    const char* next;
  } rows[] = {
      {"* * * * *", "2026-11-28T01:03:00.000Z"},
      {"0 3 * * *", "2026-11-28T03:00:00.000Z"},
      {"0 0 * * *", "2026-11-29T00:00:00.000Z"},
      {"@daily", "2026-11-29T00:00:00.000Z"},
      {"@hourly", "2026-11-28T02:00:00.000Z"},
      {"*/15 * * * *", "2026-11-28T01:15:00.000Z"},
      {"5/20 * * * *", "2026-11-28T01:05:00.000Z"},
      {"0 8-18/2 * * *", "2026-11-28T08:00:00.000Z"},
      {"30 2 * * mon", "2026-11-30T02:30:00.000Z"},  // the next Monday
      {"30 2 * * 1-5", "2026-11-30T02:30:00.000Z"},  // weekdays only
      {"0 0 * * 7", "2026-11-29T00:00:00.000Z"},     // 7 is Sunday too
      {"0 0 1 * *", "2026-12-01T00:00:00.000Z"},
      {"@monthly", "2026-12-01T00:00:00.000Z"},
      {"@weekly", "2026-11-29T00:00:00.000Z"},
      {"@yearly", "2027-01-01T00:00:00.000Z"},
      {"0 0 1 jan,JUL *", "2027-01-01T00:00:00.000Z"},
      {"0 12 29 2 *", "2028-02-29T12:00:00.000Z"},  // the next leap day
      {"0 0 31 2 *", "never"},
      {"1/2147483647 * * * *", "2026-11-28T02:01:00.000Z"},  // a huge step: once an hour
      // Both day fields restricted: either matches (the 1st, or a Monday).
      {"0 3 1 * mon", "2026-11-30T03:00:00.000Z"},
      {"0 3 1,2 * fri", "2026-12-01T03:00:00.000Z"},
      // One of them '*'-led: both must match.
      {"0 3 */1 * mon", "2026-11-30T03:00:00.000Z"},
      {"0 3 2 * */1", "2026-12-02T03:00:00.000Z"},
      {"2 1 28 11 *", "2027-11-28T01:02:00.000Z"},  // this minute has begun: next year
  };
  for (const Row& row : rows)
    EXPECT_EQ(Next(row.cron, now), row.next) << row.cron;
}

TEST(CronTest, BadSchedulesNameTheFieldAndItem) {
  struct Row {
    const char* cron;
    const char* error;
  } rows[] = {
      {"61 * * * *", "cron '61 * * * *': minute '61' is outside 0-59"},
      {"* 24 * * *", "cron '* 24 * * *': hour '24' is outside 0-23"},
      {"* * 0 * *", "cron '* * 0 * *': day of month '0' is outside 1-31"},
      {"* * * 13 *", "cron '* * * 13 *': month '13' is outside 1-12"},
      {"* * * * 8", "cron '* * * * 8': day of week '8' is outside 0-7"},
      {"* * * foo *", "cron '* * * foo *': month 'foo' is not a number or a name"},
      {"*/0 * * * *", "cron '*/0 * * * *': minute '*/0' has a step that is not a positive number"},
      {"5-1 * * * *", "cron '5-1 * * * *': minute '5-1' is a range that runs backwards"},
      {"1,,2 * * * *", "cron '1,,2 * * * *': minute '1,,2' has an empty item"},
      {"* * * *",
       "cron '* * * *': 4 fields; expected 5 (minute hour day-of-month month "
       "day-of-week), e.g. '0 3 * * *' for 03:00 UTC daily"},
      {"@often", "cron '@often': unknown macro; @yearly, @monthly, @weekly, @daily or @hourly"},
  };
  for (const Row& row : rows) {
    Result<CronSchedule> schedule = ParseCron(row.cron);
    ASSERT_FALSE(schedule.ok()) << row.cron;
    EXPECT_EQ(schedule.status().code(), Code::kUsage);
    EXPECT_EQ(schedule.status().message(), row.error);
  }
}

}  // namespace
}  // namespace conveyor
