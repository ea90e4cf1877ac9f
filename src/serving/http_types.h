// What handlers see of HTTP: a parsed request in, a response out. Kept free
// of Boost.Beast so that handlers and their tests never include it; the
// transport (http_server.h) converts.
//
// Thread safety: plain values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace conveyor::serving {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/replace_ml_model?tag=abc"
  std::string path;    // percent-decoded path without the query: "/replace_ml_model"
  std::map<std::string, std::string> query;        // decoded; the last value of a repeated key
  std::map<std::string, std::string> path_params;  // from the route pattern: {"name": "digits"}
  // Header names lower-cased.
  std::map<std::string, std::string> headers;
  std::string body;
  std::string request_id;  // X-Request-Id if the client sent one, else generated
  std::string remote;      // "127.0.0.1:53122"
  // The name of the token the server's authorizer accepted (never the
  // token), e.g. for an audit log; empty when none was checked. Views the
  // authorizer's token store, which outlives the server.
  std::string_view principal;

  // The header's value, or "" when absent. `name` in any case.
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // For an error, its kind as a short snake_case word ("invalid_input",
  // "not_ready"): the `code` of JsonError, a bounded label for metrics.
  // Empty for success. Not sent.
  std::string error_kind;
};

// {"error": {"code": "<code>", "message": "<message>"}} with `status`.
// `code` is a short snake_case word ("payload_too_large", "not_ready").
HttpResponse JsonError(int status, std::string_view code, std::string_view message);

// A JSON body (already serialised) with `status`.
HttpResponse JsonResponse(std::string body, int status = 200);

// `response` as the bytes of a whole HTTP/1.1 message that ends the
// connection (`Connection: close`), for the answers written straight to a
// socket outside a session's normal path: the 503 to a connection beyond
// the limit, the 400 to plain HTTP on a TLS port. `reason` is the status
// line's phrase ("Service Unavailable"); the response's extra headers are
// sent too.
std::string FormatClosingResponse(const HttpResponse& response, std::string_view reason,
                                  std::string_view server_name);

}  // namespace conveyor::serving
