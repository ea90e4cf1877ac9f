#include "ci/retry_policy.h"

#include <algorithm>
#include <charconv>

namespace conveyor::ci {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A whole number of seconds, clamped to kMaxSeconds: a header asking for more
// than a day is refused by the wait limits anyway, and the clamp keeps the
// conversions to milliseconds and time points from overflowing.
// 4e9 s is in 2096 as a Unix time, and fits system_clock's nanoseconds.
constexpr int64_t kMaxSeconds = 4'000'000'000;

std::optional<int64_t> ParseSeconds(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range && end == text.data() + text.size())
    return kMaxSeconds;
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return std::min(value, kMaxSeconds);
}

// The wait a rate-limited answer asks for.
milliseconds RateLimitWait(const HttpResponse& response,
                           std::chrono::system_clock::time_point now) {
  if (std::optional<int64_t> after = ParseSeconds(response.Header("retry-after"))) {
    return seconds(*after);
  }
  if (std::optional<int64_t> reset = ParseSeconds(response.Header("x-ratelimit-reset"))) {
    auto at = std::chrono::system_clock::time_point(seconds(*reset));
    // One extra second: the reset is rounded down to whole seconds.
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(at - now)) +
           seconds(1);
  }
  return seconds(60);
}

}  // namespace

bool IsRateLimited(const HttpResponse& response) {
  if (response.status == 429) {
    return true;
  }
  return response.status == 403 && (response.Header("x-ratelimit-remaining") == "0" ||
                                    !response.Header("retry-after").empty());
}

RetryDecision DecideRetry(const Result<HttpResponse>& outcome, int attempt, milliseconds waited,
                          std::chrono::system_clock::time_point now, const RetryOptions& options) {
  RetryDecision decision;
  milliseconds wait{0};
  if (!outcome.ok()) {
    if (outcome.status().code() != Code::kUnavailable) {
      return decision;
    }
    decision.kind = "unreachable";
  } else if (IsRateLimited(*outcome)) {
    decision.kind = "rate limited";
    decision.requested_wait = RateLimitWait(*outcome, now);
    wait = *decision.requested_wait;
  } else if (int s = outcome->status; s == 500 || s == 502 || s == 503 || s == 504) {
    decision.kind = "server error";
  } else {
    return decision;
  }
  if (decision.kind != "rate limited") {
    wait = options.first_backoff * (int64_t{1} << std::min(attempt - 1, 20));
    wait = std::min(wait, options.max_wait);
  }
  decision.retry = attempt < options.max_attempts && wait <= options.max_wait &&
                   waited + wait <= options.total_wait;
  decision.wait = decision.retry ? wait : milliseconds(0);
  return decision;
}

}  // namespace conveyor::ci
