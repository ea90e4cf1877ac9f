// The shared part of the local fakes of GitLab's and GitHub's REST APIs
// (fake_gitlab.h, fake_github.h): a real HTTP server on 127.0.0.1 (port 0)
// that records every call, checks each against the documented API (method,
// path, headers, body shape) and can be told to answer errors.
//
// A request that breaks the documented contract is answered
// 400 {"message": "fake: <what is wrong>"} and recorded in violations(), so
// a test asserts both the outcome and `violations().empty()`.
//
// Thread safety: all methods may be called from any thread (the server's
// handlers run on its threads); state is guarded by mu_.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "serving/http_server.h"
#include "serving/router.h"

namespace conveyor::ci::testing {

struct RecordedCall {
  std::string route;                           // the fake's route name: "create_mr_note"
  std::string method;                          // "POST"
  std::string target;                          // as sent, query included
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct ScriptedAnswer {
  int status = 500;
  std::string body = R"({"message":"scripted failure"})";
  std::vector<std::pair<std::string, std::string>> headers;
};

class FakeForge {
 public:
  virtual ~FakeForge();
  FakeForge(const FakeForge&) = delete;
  FakeForge& operator=(const FakeForge&) = delete;

  // Registers the routes and starts serving on 127.0.0.1 with a free port.
  Status Start();
  // "http://127.0.0.1:<port>".
  std::string base_url() const;

  // The next `times` requests to route `route` get `answer` instead of
  // their normal handling (recorded all the same).
  void AnswerNext(const std::string& route, const ScriptedAnswer& answer, int times = 1);

  std::vector<RecordedCall> calls() const;
  // Route names of the calls, in order.
  std::vector<std::string> routes() const;
  std::vector<std::string> violations() const;

 protected:
  FakeForge() = default;

  using Handler = std::function<serving::HttpResponse(serving::HttpRequest&)>;
  // Registers `handler` under `name`, wrapped: records the call, checks the
  // headers (CheckHeaders), applies scripted answers.
  void Route(const std::string& method, const std::string& pattern, const std::string& name,
             Handler handler);
  // Subclasses add their routes here (called once by Start).
  virtual void AddRoutes() = 0;
  // nullopt when the request's authentication and common headers are right;
  // otherwise the answer to send (401 for a bad token, 400 for a violation).
  // Called with mu_ held.
  virtual std::optional<serving::HttpResponse> CheckHeaders(
      const serving::HttpRequest& request) = 0;

  // Records a contract violation and returns the 400 answer for it.
  serving::HttpResponse Violation(const std::string& what);
  // Parses a JSON object body sent with Content-Type application/json, or
  // records a violation (returned in `error`).
  std::optional<nlohmann::json> JsonBody(const serving::HttpRequest& request,
                                         serving::HttpResponse& error);

  mutable std::mutex mu_;  // guards everything below and the subclasses' state

 private:
  serving::Router router_;
  std::unique_ptr<serving::HttpServer> server_;
  std::vector<RecordedCall> calls_;
  std::vector<std::string> violations_;
  std::map<std::string, std::deque<ScriptedAnswer>> scripted_;
};

serving::HttpResponse Json(int status, const nlohmann::json& body);

}  // namespace conveyor::ci::testing
