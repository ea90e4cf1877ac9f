// The middleware hook of the HTTP server: one call per answered request, for
// the access log and metrics. Observers see route patterns, never raw paths,
// as the label to aggregate on.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace conveyor::serving {

// What one request and its response amounted to. The views are valid during
// the OnRequest call only.
struct RequestRecord {
  // The route pattern ("/v2/models/{name}/infer"), kUnmatchedRoute ("unmatched")
  // for a 404, or "-" when the request was rejected before it could be routed
  // (a malformed request line).
  std::string_view route;
  std::string_view method;
  std::string_view path;  // decoded; for logs only, never a metrics label
  int status = 0;
  uint64_t request_bytes = 0;   // header and body as read from the socket
  uint64_t response_bytes = 0;  // as written to the socket (less if the write failed)
  // From the start of reading the request header to the response written.
  std::chrono::microseconds duration{0};
  std::chrono::system_clock::time_point start;  // when reading the header began
  // The response's HttpResponse::error_kind ("invalid_input"); empty for
  // success.
  std::string_view error_kind;
  std::string_view request_id;
  std::string_view remote;  // "127.0.0.1:53122"
  // The name of the token the request was authorized with (never the token);
  // empty when no token was checked (no authorizer, or an open route).
  std::string_view principal;
};

// Thread safety: OnRequest is called concurrently from the server's I/O
// threads and must be thread-safe. It runs on the request's connection, so it
// should be quick (format a line, bump counters).
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // Called once per request that got a response, after the write finished
  // (or failed). Connections refused by the connection cap and requests lost
  // to a forced close at the shutdown deadline are not reported.
  virtual void OnRequest(const RequestRecord& record) = 0;
};

}  // namespace conveyor::serving
