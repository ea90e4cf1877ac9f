#include "serving/api_docs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>

namespace conveyor::serving {

namespace {

// Relative URLs throughout: the page is /docs, so "docs/x" is /docs/x and
// "openapi.json" is /openapi.json. No validator badge: it would send the
// document to a third-party service, and the server may have no network.
constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>conveyor serve: API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
  <link rel="icon" type="image/png" sizes="32x32" href="docs/favicon-32x32.png">
  <link rel="icon" type="image/png" sizes="16x16" href="docs/favicon-16x16.png">
  <style>body { margin: 0; }</style>
</head>
<body>
  <noscript>This page needs JavaScript. The API description itself is at
    <a href="openapi.json">openapi.json</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  </script>
</body>
</html>
)html";

constexpr std::string_view kRevalidate = "no-cache";
constexpr std::string_view kOneDay = "public, max-age=86400";

// A strong validator from the content: FNV-1a, 64 bits. Not for security;
// only a change of bytes must change it, which it does but for collisions
// no deployment will meet.
std::string ETagOf(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return fmt::format("\"{:016x}\"", hash);
}

// True when If-None-Match ("*", or a comma-separated list of tags, weak
// ones included since a GET may use weak comparison) names `etag`.
bool Matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view item = if_none_match.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (item.starts_with("W/"))
      item.remove_prefix(2);
    if (item == "*" || item == etag)
      return true;
    if (comma == std::string_view::npos)
      break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

struct Served {
  std::string_view bytes;
  std::string_view content_type;
  std::string_view cache_control;
  std::string etag;
};

struct DocsState {
  std::string openapi_json;  // owned here; the Served entries point into it
  Served openapi;
  Served page;
  std::map<std::string, Served, std::less<>> assets;
};

HttpResponse Serve(const Served& served, const HttpRequest& request) {
  HttpResponse response;
  response.headers = {{"ETag", served.etag},
                      {"Cache-Control", std::string(served.cache_control)},
                      {"X-Content-Type-Options", "nosniff"}};
  if (Matches(request.Header("if-none-match"), served.etag)) {
    response.status = 304;
    return response;
  }
  response.content_type = served.content_type;
  response.body = served.bytes;
  return response;
}

}  // namespace

std::string_view AssetContentType(std::string_view name) {
  static const std::map<std::string_view, std::string_view> kTypes = {
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".png", "image/png"},
      {".html", "text/html; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"}};
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos)
    return "text/plain; charset=utf-8";
  auto found = kTypes.find(name.substr(dot));
  return found == kTypes.end() ? "application/octet-stream" : found->second;
}

std::string_view DocsPage() { return kPage; }

Status AddApiDocsRoutes(Router& router, std::string openapi_json,
                        std::span<const DocsAsset> assets) {
  auto state = std::make_shared<DocsState>();
  state->openapi_json = std::move(openapi_json);
  state->openapi = {state->openapi_json, "application/json", kRevalidate,
                    ETagOf(state->openapi_json)};
  state->page = {kPage, "text/html; charset=utf-8", kRevalidate, ETagOf(kPage)};
  for (const DocsAsset& asset : assets) {
    state->assets[std::string(asset.name)] = {asset.bytes, AssetContentType(asset.name), kOneDay,
                                              ETagOf(asset.bytes)};
  }
  for (std::string_view needed : {"swagger-ui-bundle.js", "swagger-ui.css"}) {
    if (state->assets.find(needed) == state->assets.end()) {
      return Error(Code::kInvalid,
                   "API docs: the Swagger UI assets lack {} (is web/node_modules/swagger-ui-dist "
                   "installed? run `npm ci --prefix web` and rebuild)",
                   needed);
    }
  }
  std::shared_ptr<const DocsState> shared = state;
  RETURN_IF_ERROR(router.Add("GET", "/openapi.json", "openapi", [shared](HttpRequest& request) {
    return Serve(shared->openapi, request);
  }));
  RETURN_IF_ERROR(router.Add("GET", "/docs", "docs", [shared](HttpRequest& request) {
    return Serve(shared->page, request);
  }));
  return router.Add("GET", "/docs/{asset}", "docs_asset", [shared](HttpRequest& request) {
    const std::string& name = request.path_params.at("asset");
    auto found = shared->assets.find(name);
    if (found == shared->assets.end()) {
      return JsonError(404, "not_found",
                       fmt::format("no documentation file '{}' (try /docs)", name));
    }
    return Serve(found->second, request);
  });
}

}  // namespace conveyor::serving
