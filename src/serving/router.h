// The route table: the one place where the server's endpoints are listed.
//
//   Router router;
//   RETURN_IF_ERROR(router.Add("POST", "/v2/models/{name}/infer", "v2_infer", Infer));
//
// A pattern is a '/'-separated list of segments; a segment is either literal
// text or a whole-segment `{param}` capture, which matches one non-empty
// segment (percent-decoded, so "%2F" in a model name never splits it). No
// regexes, no wildcards. Between overlapping patterns the first registered
// wins. A HEAD request is served by a HEAD route or else by the GET route of
// the same path (the server drops the body).
//
// Thread safety: Add is not thread-safe and must finish before the router is
// handed to a server; Route is const and safe from any number of threads.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "serving/http_types.h"

namespace conveyor::serving {

// Handlers may block (they run on the server's I/O threads) and may throw;
// the server turns an exception into a 500 "internal" error.
using Handler = std::function<HttpResponse(HttpRequest& request)>;

// The route label used when no pattern matched the path (a bounded label for
// metrics, never the raw path).
inline constexpr std::string_view kUnmatchedRoute = "unmatched";

struct RouteMatch {
  // The handler to call, or null when `error` is the response (404, 405).
  // Points into the router, which outlives the match.
  const Handler* handler = nullptr;
  // The pattern ("/v2/models/{name}/infer") for logs and metrics labels:
  // also set for 405, kUnmatchedRoute for 404.
  std::string_view pattern = kUnmatchedRoute;
  std::string_view name;  // the route's name ("v2_infer"); empty when unmatched
  // The route's position in registration order (as Routes() lists it), so
  // that per-route tables (access_control.h) are a vector index; also set
  // for 405; kNoRoute when unmatched.
  size_t index = kNoRoute;
  HttpResponse error;  // meaningful when handler == nullptr

  static constexpr size_t kNoRoute = static_cast<size_t>(-1);
};

// One registered route as the table lists it (for API documentation and its
// tests). Views into the router, valid while it lives and is not added to.
struct RouteInfo {
  std::string_view method;   // "POST"
  std::string_view pattern;  // "/v2/models/{name}/infer"
  std::string_view name;     // "v2_infer"
};

class Router {
 public:
  // Registers `handler` for `method` (upper case: "GET", "POST", ...) and
  // `pattern` (starting with '/'). `name` is a short identifier for logs.
  // Errors (kInvalid, kAlreadyExists) name the pattern and what is wrong.
  Status Add(std::string_view method, std::string_view pattern, std::string_view name,
             Handler handler);

  // Matches request.method and the path of request.target (or request.path
  // when the target is empty). On a match fills request.path_params.
  // Unknown path: 404 "not_found". Known path, other method: 405
  // "method_not_allowed" with an Allow header listing the methods.
  RouteMatch Route(HttpRequest& request) const;

  size_t size() const { return routes_.size(); }

  // Middleware for one route: replaces the handler of every route named
  // `name` by wrap(old handler). kNotFound when no route has that name, so a
  // renamed route cannot silently lose its wrapper. Not thread-safe, like Add.
  Status Wrap(std::string_view name, const std::function<Handler(Handler)>& wrap);

  // Every route, in registration order.
  std::vector<RouteInfo> Routes() const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter's name
    bool is_param = false;
  };
  struct Entry {
    std::string method;
    std::string pattern;
    std::string name;
    std::vector<Segment> segments;
    Handler handler;
  };

  static bool Matches(const Entry& entry, const std::vector<std::string>& segments);

  std::vector<Entry> routes_;
};

}  // namespace conveyor::serving
