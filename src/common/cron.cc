#include "common/cron.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace conveyor {

namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const std::array<const char*, 12>* names;  // index + name_base is the value
  int name_base;
};

constexpr std::array<const char*, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 12> kDays = {"sun", "mon", "tue", "wed", "thu", "fri",
                                               "sat", "",    "",    "",    "",    ""};

const FieldSpec kFields[5] = {{"minute", 0, 59, nullptr, 0},
                              {"hour", 0, 23, nullptr, 0},
                              {"day of month", 1, 31, nullptr, 0},
                              {"month", 1, 12, &kMonths, 1},
                              {"day of week", 0, 7, &kDays, 0}};

std::vector<std::string_view> Split(std::string_view text, char by) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == by) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

std::optional<int> Value(std::string_view text, const FieldSpec& field) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && ptr == text.data() + text.size())
    return value;
  if (field.names == nullptr || text.size() != 3)
    return std::nullopt;
  std::string lower;
  for (char c : text)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < field.names->size(); ++i) {
    if (lower == (*field.names)[i])
      return static_cast<int>(i) + field.name_base;
  }
  return std::nullopt;
}

// Sets the bits of `field_text` in `bits` (indexed by value).
template <size_t N>
Status ParseField(std::string_view cron, std::string_view field_text, const FieldSpec& field,
                  std::bitset<N>& bits) {
  const auto bad = [&](std::string_view item, std::string_view why) {
    return Error(Code::kUsage, "cron '{}': {} '{}' {}", cron, field.name, item, why);
  };
  for (std::string_view item : Split(field_text, ',')) {
    if (item.empty())
      return bad(field_text, "has an empty item");
    std::string_view range = item;
    int step = 1;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      std::string_view step_text = item.substr(slash + 1);
      auto [ptr, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (ec != std::errc() || ptr != step_text.data() + step_text.size() || step <= 0)
        return bad(item, "has a step that is not a positive number");
    }
    int low = field.min;
    int high = field.max;
    if (range != "*") {
      const size_t dash = range.find('-');
      std::optional<int> first = Value(range.substr(0, dash), field);
      if (!first.has_value())
        return bad(item, fmt::format("is not a number{}", field.names ? " or a name" : ""));
      low = *first;
      if (dash != std::string_view::npos) {
        std::optional<int> last = Value(range.substr(dash + 1), field);
        if (!last.has_value())
          return bad(item, fmt::format("is not a number{}", field.names ? " or a name" : ""));
        high = *last;
      } else if (item.find('/') == std::string_view::npos) {
        high = low;
      }
      if (low < field.min || high > field.max || low > field.max) {
        return bad(item, fmt::format("is outside {}-{}", field.min, field.max));
      }
      if (low > high)
        return bad(item, "is a range that runs backwards");
    }
    for (int v = low; v <= high; v += step) {
      bits.set(static_cast<size_t>(field.max == 7 ? v % 7 : v));
      if (high - v < step)
        break;  // v + step would pass the end (or overflow, for a huge step)
    }
  }
  return OkStatus();
}

std::string_view Macro(std::string_view text) {
  if (text == "@yearly" || text == "@annually")
    return "0 0 1 1 *";
  if (text == "@monthly")
    return "0 0 1 * *";
  if (text == "@weekly")
    return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight")
    return "0 0 * * *";
  if (text == "@hourly")
    return "0 * * * *";
  return "";
}

}  // namespace

Result<CronSchedule> ParseCron(std::string_view text) {
  CronSchedule schedule;
  schedule.text = std::string(text);
  std::string_view fields_text = text;
  if (text.starts_with('@')) {
    fields_text = Macro(text);
    if (fields_text.empty()) {
      return Error(Code::kUsage,
                   "cron '{}': unknown macro; @yearly, @monthly, @weekly, @daily or @hourly", text);
    }
  }
  std::vector<std::string_view> fields;
  for (std::string_view part : Split(fields_text, ' ')) {
    if (!part.empty())
      fields.push_back(part);
  }
  if (fields.size() != 5) {
    return Error(Code::kUsage,
                 "cron '{}': {} fields; expected 5 (minute hour day-of-month month "
                 "day-of-week), e.g. '0 3 * * *' for 03:00 UTC daily",
                 text, fields.size());
  }
  RETURN_IF_ERROR(ParseField(text, fields[0], kFields[0], schedule.minutes));
  RETURN_IF_ERROR(ParseField(text, fields[1], kFields[1], schedule.hours));
  RETURN_IF_ERROR(ParseField(text, fields[2], kFields[2], schedule.days));
  RETURN_IF_ERROR(ParseField(text, fields[3], kFields[3], schedule.months));
  RETURN_IF_ERROR(ParseField(text, fields[4], kFields[4], schedule.weekdays));
  schedule.any_day = fields[2].starts_with('*');
  schedule.any_weekday = fields[4].starts_with('*');
  return schedule;
}

std::optional<std::chrono::system_clock::time_point> NextCronTime(
    const CronSchedule& schedule, std::chrono::system_clock::time_point after) {
  using namespace std::chrono;
  const sys_time<minutes> start = floor<minutes>(after) + minutes(1);
  sys_days day = floor<days>(start);
  int first_minute = static_cast<int>((start - day).count());
  for (int i = 0; i < 366 * 5; ++i, day += days(1), first_minute = 0) {
    const year_month_day date(day);
    if (!schedule.months.test(static_cast<unsigned>(date.month())))
      continue;
    const bool by_day = schedule.days.test(static_cast<unsigned>(date.day()));
    const bool by_weekday = schedule.weekdays.test(weekday(day).c_encoding());
    const bool matches = (schedule.any_day || schedule.any_weekday) ? (by_day && by_weekday)
                                                                    : (by_day || by_weekday);
    if (!matches)
      continue;
    for (int m = first_minute; m < 24 * 60; ++m) {
      if (schedule.hours.test(static_cast<size_t>(m / 60)) &&
          schedule.minutes.test(static_cast<size_t>(m % 60)))
        return day + minutes(m);
    }
  }
  return std::nullopt;
}

}  // namespace conveyor
