// Cron schedules: the five fields of crontab(5) — minute, hour, day of
// month, month, day of week — for retraining on a timetable (`serve` and
// `watch` --retrain-schedule). Times are UTC.
//
// A field is a comma-separated list of items, each `*`, `N`, `A-B`, with an
// optional `/STEP` (`*/15`, `8-18/2`; `N/STEP` means N to the field's end).
// Months may be named jan..dec and days sun..sat (any case); day of week is
// 0-7, 0 and 7 both Sunday. As in Vixie cron, when both day fields are
// restricted (neither starts with `*`), a day matches if either does
// ("0 3 1 * mon": the 1st of the month and every Monday). Macros: @yearly
// (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
//
// Thread safety: CronSchedule is a value; the functions are pure.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace conveyor {

struct CronSchedule {
  std::string text;  // as given
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;     // 1..31
  std::bitset<13> months;   // 1..12
  std::bitset<7> weekdays;  // 0 (Sunday)..6
  bool any_day = true;      // the day-of-month field starts with '*'
  bool any_weekday = true;  // the day-of-week field starts with '*'
};

// kUsage naming the field and the item at fault: "cron '61 * * * *':
// minute '61' is outside 0-59".
Result<CronSchedule> ParseCron(std::string_view text);

// The first whole minute strictly after `after` that the schedule matches;
// nullopt when none comes within five years (31 February).
std::optional<std::chrono::system_clock::time_point> NextCronTime(
    const CronSchedule& schedule, std::chrono::system_clock::time_point after);

}  // namespace conveyor
