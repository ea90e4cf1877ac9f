#include "common/utc_time.h"

#include <gtest/gtest.h>

#include <ctime>

namespace conveyor {
namespace {

// The libc formatting it replaces, as the reference.
std::string WithGmtime(int64_t unix_ms) {
  const int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  const auto t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(unix_ms - seconds * 1000));
  return text;
}

TEST(UtcTimeTest, FormatsMillisecondsSinceTheEpoch) {
  EXPECT_EQ(FormatUtcMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtcMillis(1795767040825), "2026-11-27T08:10:40.825Z");
  EXPECT_EQ(FormatUtcMillis(951782400000), "2000-02-29T00:00:00.000Z");  // leap day
  EXPECT_EQ(FormatUtcMillis(-1), "1969-12-31T23:59:59.999Z");
}

TEST(UtcTimeTest, AgreesWithGmtimeAcrossYears) {
  // Every 1,000,003 seconds (an odd step, so every time of day comes up)
  // from 1960 to 2100, plus a millisecond part.
  for (int64_t s = -315619200; s < 4102444800; s += 1000003) {
    const int64_t ms = s * 1000 + (s % 1000 + 1000) % 1000;
    ASSERT_EQ(FormatUtcMillis(ms), WithGmtime(ms)) << ms;
  }
}

}  // namespace
}  // namespace conveyor
