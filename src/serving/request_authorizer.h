// The authorization hook of the HTTP server: asked once per request, as soon
// as the header is parsed and the route matched, before any of the body is
// read, so an unauthenticated client cannot make the server buffer an upload.
// The transport knows nothing of tokens or roles; access_control.h has the
// implementation `conveyor serve` uses.
#pragma once

#include <memory>
#include <string_view>

#include "serving/http_types.h"
#include "serving/router.h"

namespace conveyor::serving {

struct AuthResult {
  // Who the caller is (a token's name) when a token was checked; empty for
  // a route that needs none. Must stay valid as long as the authorizer.
  std::string_view principal;
  // The answer (401, 403) when the request is denied; null when allowed
  // (so the allowed path allocates nothing).
  std::unique_ptr<HttpResponse> denial;
};

// Thread safety: Authorize is called concurrently from the server's I/O
// threads and must be thread-safe. It runs on the request's connection, so it
// should be quick.
class RequestAuthorizer {
 public:
  virtual ~RequestAuthorizer() = default;
  // `match` is the router's answer for the request (handler null for 404 and
  // 405, and an empty match when the target could not be parsed);
  // `authorization` the Authorization header's value ("" when absent).
  virtual AuthResult Authorize(const RouteMatch& match, std::string_view authorization) const = 0;
};

}  // namespace conveyor::serving
