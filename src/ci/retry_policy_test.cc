#include "ci/retry_policy.h"

#include <gtest/gtest.h>

namespace conveyor::ci {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const auto kNow = std::chrono::system_clock::time_point(seconds(1'700'000'000));

HttpResponse Answer(int status, HttpHeaders headers = {}) {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  return response;
}

struct Row {
  const char* name;
  Result<HttpResponse> outcome;
  int attempt;
  milliseconds waited;
  bool retry;
  milliseconds wait;
  const char* kind;
};

TEST(RetryPolicyTest, Table) {
  const Row rows[] = {
      {"ok", Answer(200), 1, milliseconds(0), false, milliseconds(0), ""},
      {"not found", Answer(404), 1, milliseconds(0), false, milliseconds(0), ""},
      {"plain 403", Answer(403), 1, milliseconds(0), false, milliseconds(0), ""},
      {"invalid", Answer(422), 1, milliseconds(0), false, milliseconds(0), ""},
      {"500 first", Answer(500), 1, milliseconds(0), true, seconds(1), "server error"},
      {"502 second", Answer(502), 2, seconds(1), true, seconds(2), "server error"},
      {"503 third", Answer(503), 3, seconds(3), true, seconds(4), "server error"},
      {"504 last", Answer(504), 4, seconds(7), false, milliseconds(0), "server error"},
      {"501 is final", Answer(501), 1, milliseconds(0), false, milliseconds(0), ""},
      {"unreachable", Error(Code::kUnavailable, "connect"), 1, milliseconds(0), true, seconds(1),
       "unreachable"},
      {"internal error", Error(Code::kInternal, "bug"), 1, milliseconds(0), false, milliseconds(0),
       ""},
      {"429 retry-after", Answer(429, {{"retry-after", "7"}}), 1, milliseconds(0), true, seconds(7),
       "rate limited"},
      {"429 bare", Answer(429), 1, milliseconds(0), true, seconds(60), "rate limited"},
      {"429 too long", Answer(429, {{"retry-after", "600"}}), 1, milliseconds(0), false,
       milliseconds(0), "rate limited"},
      {"429 over budget", Answer(429, {{"retry-after", "100"}}), 2, seconds(250), false,
       milliseconds(0), "rate limited"},
      {"github primary",
       Answer(403, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1700000030"}}), 1,
       milliseconds(0), true, seconds(31), "rate limited"},
      {"github reset passed",
       Answer(403, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1699999990"}}), 1,
       milliseconds(0), true, seconds(1), "rate limited"},
      {"github secondary", Answer(403, {{"retry-after", "3"}}), 1, milliseconds(0), true,
       seconds(3), "rate limited"},
      // Absurd values are clamped (no overflow) and refused as too long.
      {"429 huge retry-after", Answer(429, {{"retry-after", "99999999999999999999999"}}), 1,
       milliseconds(0), false, milliseconds(0), "rate limited"},
      {"github reset far away",
       Answer(403, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "9223372036854775807"}}),
       1, milliseconds(0), false, milliseconds(0), "rate limited"},
  };
  for (const Row& row : rows) {
    RetryDecision d = DecideRetry(row.outcome, row.attempt, row.waited, kNow, RetryOptions{});
    EXPECT_EQ(d.retry, row.retry) << row.name;
    EXPECT_EQ(d.wait, row.wait) << row.name;
    EXPECT_EQ(d.kind, row.kind) << row.name;
  }
}

TEST(RetryPolicyTest, RateLimitDetection) {
  EXPECT_TRUE(IsRateLimited(Answer(429)));
  EXPECT_TRUE(IsRateLimited(Answer(403, {{"x-ratelimit-remaining", "0"}})));
  EXPECT_FALSE(IsRateLimited(Answer(403, {{"x-ratelimit-remaining", "12"}})));
  EXPECT_FALSE(IsRateLimited(Answer(403)));
}

}  // namespace
}  // namespace conveyor::ci
