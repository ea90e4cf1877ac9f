// When to try a forge API call again, and how long to wait first: a pure
// function of the last outcome, the attempt count, the time already waited
// and the current time (STYLE 11), tested as a table.
//
//   transport failure (connect, TLS, timeout)   back off 1 s, 2 s, 4 s, ...
//   500, 502, 503, 504                           back off likewise
//   429 (GitLab, GitHub)                         wait Retry-After, else until
//   403 with x-ratelimit-remaining: 0 (GitHub)   x-ratelimit-reset, else 60 s
//   403 with Retry-After (GitHub secondary limit)
//   anything else                                no retry
//
// No retry once `max_attempts` calls were made, when one wait would exceed
// `max_wait`, or when the waits would add up past `total_wait`.
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "ci/http_client.h"
#include "common/status.h"

namespace conveyor::ci {

struct RetryOptions {
  // Calls in all, the first included. Default: 4.
  int max_attempts = 4;
  // First back-off after a transport failure or 5xx; doubles each time.
  // Default: 1 s.
  std::chrono::milliseconds first_backoff = std::chrono::seconds(1);
  // Longest single wait, e.g. for a rate limit's reset. Default: 120 s.
  std::chrono::milliseconds max_wait = std::chrono::seconds(120);
  // Longest sum of waits for one call. Default: 300 s.
  std::chrono::milliseconds total_wait = std::chrono::seconds(300);
};

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds wait{0};  // before the next attempt, when retry
  // Why it failed, for the final message when it does not retry:
  // "rate limited", "server error", "unreachable"; empty when the outcome is
  // not retryable at all (a 2xx, a 404, ...).
  std::string kind;
  // When rate limited: the wait the forge asked for (even when too long to
  // honour), for the message.
  std::optional<std::chrono::milliseconds> requested_wait;
};

// True for a rate-limit answer (see the table above).
bool IsRateLimited(const HttpResponse& response);

// `outcome` is what attempt number `attempt` (1-based) returned; `waited` the
// sum of earlier waits for this call.
RetryDecision DecideRetry(const Result<HttpResponse>& outcome, int attempt,
                          std::chrono::milliseconds waited,
                          std::chrono::system_clock::time_point now, const RetryOptions& options);

}  // namespace conveyor::ci
