#include "serving/router.h"

#include <algorithm>
#include <optional>

#include "serving/http_target.h"

namespace conveyor::serving {

namespace {

std::vector<std::string_view> SplitSegments(std::string_view path) {
  // "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}.
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// The decoded segments of the target's path, or nullopt when one cannot be
// decoded (the server has answered 400 before getting here).
std::optional<std::vector<std::string>> RequestSegments(const HttpRequest& request) {
  std::vector<std::string> decoded;
  if (request.target.empty()) {
    if (request.path.empty() || request.path[0] != '/') {
      return std::nullopt;
    }
    for (std::string_view segment : SplitSegments(request.path)) {
      decoded.emplace_back(segment);
    }
    return decoded;
  }
  std::string_view raw = request.target;
  raw = raw.substr(0, raw.find('?'));
  if (raw.empty() || raw[0] != '/') {
    return std::nullopt;
  }
  for (std::string_view segment : SplitSegments(raw)) {
    std::optional<std::string> text = PercentDecode(segment, /*plus_is_space=*/false);
    if (!text) {
      return std::nullopt;
    }
    decoded.push_back(std::move(*text));
  }
  return decoded;
}

}  // namespace

Status Router::Add(std::string_view method, std::string_view pattern, std::string_view name,
                   Handler handler) {
  if (method.empty() ||
      !std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return Error(Code::kInvalid, "route {}: method \"{}\" must be upper-case letters", pattern,
                 method);
  }
  if (pattern.empty() || pattern[0] != '/') {
    return Error(Code::kInvalid, "route {} {}: a pattern must start with '/'", method, pattern);
  }
  if (!handler) {
    return Error(Code::kInvalid, "route {} {}: the handler is empty", method, pattern);
  }
  Entry entry{std::string(method), std::string(pattern), std::string(name), {}, std::move(handler)};
  for (std::string_view segment : SplitSegments(pattern)) {
    bool opens = segment.find('{') != std::string_view::npos;
    bool closes = segment.find('}') != std::string_view::npos;
    if (!opens && !closes) {
      entry.segments.push_back({std::string(segment), false});
      continue;
    }
    if (segment.size() < 3 || segment.front() != '{' || segment.back() != '}' ||
        segment.substr(1, segment.size() - 2).find_first_of("{}/") != std::string_view::npos) {
      return Error(Code::kInvalid,
                   "route {} {}: segment \"{}\" must be literal text or a whole {{param}}", method,
                   pattern, segment);
    }
    entry.segments.push_back({std::string(segment.substr(1, segment.size() - 2)), true});
  }
  for (const Entry& other : routes_) {
    if (other.method == entry.method && other.pattern == entry.pattern) {
      return Error(Code::kAlreadyExists, "route {} {} is registered twice", method, pattern);
    }
  }
  routes_.push_back(std::move(entry));
  return OkStatus();
}

std::vector<RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> routes;
  routes.reserve(routes_.size());
  for (const Entry& entry : routes_) {
    routes.push_back({entry.method, entry.pattern, entry.name});
  }
  return routes;
}

Status Router::Wrap(std::string_view name, const std::function<Handler(Handler)>& wrap) {
  bool found = false;
  for (Entry& entry : routes_) {
    if (entry.name == name) {
      entry.handler = wrap(std::move(entry.handler));
      found = true;
    }
  }
  if (!found)
    return Error(Code::kNotFound, "no route named '{}' to wrap", name);
  return OkStatus();
}

bool Router::Matches(const Entry& entry, const std::vector<std::string>& segments) {
  if (entry.segments.size() != segments.size()) {
    return false;
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& want = entry.segments[i];
    if (want.is_param ? segments[i].empty() : want.text != segments[i]) {
      return false;
    }
  }
  return true;
}

RouteMatch Router::Route(HttpRequest& request) const {
  RouteMatch match;
  std::optional<std::vector<std::string>> segments = RequestSegments(request);
  const Entry* found = nullptr;
  const Entry* first_path_match = nullptr;
  std::vector<std::string> allowed;
  if (segments) {
    // HEAD falls back to GET: two passes, HEAD routes first.
    for (std::string_view method : {std::string_view(request.method), std::string_view("GET")}) {
      for (const Entry& entry : routes_) {
        if (entry.method == method && Matches(entry, *segments)) {
          found = &entry;
          break;
        }
      }
      if (found != nullptr || request.method != "HEAD") {
        break;
      }
    }
    if (found == nullptr) {
      for (const Entry& entry : routes_) {
        if (Matches(entry, *segments)) {
          if (first_path_match == nullptr) {
            first_path_match = &entry;
          }
          allowed.push_back(entry.method);
          if (entry.method == "GET") {
            allowed.emplace_back("HEAD");
          }
        }
      }
    }
  }
  if (found != nullptr) {
    request.path_params.clear();
    for (size_t i = 0; i < found->segments.size(); ++i) {
      if (found->segments[i].is_param) {
        request.path_params[found->segments[i].text] = (*segments)[i];
      }
    }
    match.handler = &found->handler;
    match.pattern = found->pattern;
    match.name = found->name;
    match.index = static_cast<size_t>(found - routes_.data());
    return match;
  }
  if (first_path_match == nullptr) {
    match.error = JsonError(404, "not_found", fmt::format("no route for {}", request.path));
    return match;
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  std::string allow;
  for (const std::string& method : allowed) {
    allow += allow.empty() ? method : ", " + method;
  }
  match.pattern = first_path_match->pattern;
  match.name = first_path_match->name;
  match.index = static_cast<size_t>(first_path_match - routes_.data());
  match.error = JsonError(
      405, "method_not_allowed",
      fmt::format("{} does not accept {}; allowed: {}", request.path, request.method, allow));
  match.error.headers.emplace_back("Allow", allow);
  return match;
}

}  // namespace conveyor::serving
