// The one seam through which src/ci talks to a forge's REST API: a request
// in, a response out. The real implementation is CurlHttpClient
// (curl_http_client.h); tests point it at a local fake (testing/).
//
// Also the clock the retry loop waits on, so tests never sleep.
//
// Thread safety: HttpRequest and HttpResponse are plain values. Each
// implementation states its own; CurlHttpClient and SystemClock may be used
// from several threads at once.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace conveyor::ci {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;   // "GET", "POST", "PUT", "PATCH"
  std::string url;      // absolute: "https://gitlab.com/api/v4/projects/42/uploads"
  HttpHeaders headers;  // sent as given; may carry credentials, so never logged
  std::string body;     // empty: none
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-cased, values trimmed, in arrival order
  std::string body;

  // The first value of header `name` (any case), or "" when absent.
  std::string Header(std::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `request` once (no retries, no redirects followed). Any HTTP status
  // is a successful Send; a transport failure (DNS, connect, TLS, timeout) is
  // kUnavailable with a message naming the method and URL, never a header.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// Wall-clock time and waiting, for the retry loop (rate limits name an
// absolute reset time).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() = 0;
  virtual void Sleep(std::chrono::milliseconds duration) = 0;
};

// The real clock: system_clock and std::this_thread::sleep_for.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override;
  void Sleep(std::chrono::milliseconds duration) override;
};

}  // namespace conveyor::ci
