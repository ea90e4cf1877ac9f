#include "ci/testing/fake_forge.h"

#include <fmt/format.h>

namespace conveyor::ci::testing {

serving::HttpResponse Json(int status, const nlohmann::json& body) {
  return serving::JsonResponse(body.dump(), status);
}

FakeForge::~FakeForge() {
  if (server_) {
    server_->Stop(std::chrono::milliseconds(0));
    server_->Wait();
  }
}

Status FakeForge::Start() {
  AddRoutes();
  server_ = std::make_unique<serving::HttpServer>(router_);
  serving::HttpServerOptions options;
  options.port = 0;
  options.threads = 2;
  options.server_name = "fake-forge";
  return server_->Start(options);
}

std::string FakeForge::base_url() const {
  return fmt::format("http://127.0.0.1:{}", server_->port());
}

void FakeForge::AnswerNext(const std::string& route, const ScriptedAnswer& answer, int times) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < times; ++i) {
    scripted_[route].push_back(answer);
  }
}

std::vector<RecordedCall> FakeForge::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

std::vector<std::string> FakeForge::routes() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const RecordedCall& call : calls_) {
    names.push_back(call.route);
  }
  return names;
}

std::vector<std::string> FakeForge::violations() const {
  std::lock_guard lock(mu_);
  return violations_;
}

serving::HttpResponse FakeForge::Violation(const std::string& what) {
  violations_.push_back(what);
  return Json(400, {{"message", "fake: " + what}});
}

std::optional<nlohmann::json> FakeForge::JsonBody(const serving::HttpRequest& request,
                                                  serving::HttpResponse& error) {
  if (request.Header("content-type") != "application/json") {
    error = Violation(fmt::format("{} {}: Content-Type is \"{}\", not application/json",
                                  request.method, request.path, request.Header("content-type")));
    return std::nullopt;
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object()) {
    error = Violation(
        fmt::format("{} {}: the body is not a JSON object", request.method, request.path));
    return std::nullopt;
  }
  return body;
}

void FakeForge::Route(const std::string& method, const std::string& pattern,
                      const std::string& name, Handler handler) {
  Status added = router_.Add(
      method, pattern, name,
      [this, name, handler = std::move(handler)](serving::HttpRequest& request) {
        std::lock_guard lock(mu_);
        calls_.push_back({name, request.method, request.target, request.headers, request.body});
        if (std::optional<serving::HttpResponse> rejected = CheckHeaders(request)) {
          return *rejected;
        }
        auto scripted = scripted_.find(name);
        if (scripted != scripted_.end() && !scripted->second.empty()) {
          ScriptedAnswer answer = scripted->second.front();
          scripted->second.pop_front();
          serving::HttpResponse response = serving::JsonResponse(answer.body, answer.status);
          response.headers = answer.headers;
          return response;
        }
        return handler(request);
      });
  if (!added.ok()) {
    std::lock_guard lock(mu_);
    violations_.push_back("fake set-up: " + added.message());
  }
}

}  // namespace conveyor::ci::testing
