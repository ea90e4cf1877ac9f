#include "serving/audit_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace conveyor::serving {
namespace {

using Json = nlohmann::json;

class NoLoader : public ModelLoader {
 public:
  Result<std::unique_ptr<ServedModel>> Load(std::string_view ref) override {
    return Error(Code::kNotFound, "no model {}", ref);
  }
};

TEST(AuditLogTest, FormatsOneJsonLine) {
  AuditEvent event;
  event.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1769860800123));
  event.action = "replace_ml_model";
  event.principal = "ops";
  event.outcome = "ok";
  event.status = 200;
  event.requested = "b2";
  event.from = ModelIdentity{.name = "digits", .version = 1, .experiment_tag = "a1"};
  event.to = ModelIdentity{.name = "digits", .version = 2, .experiment_tag = "b2"};
  event.request_id = "r-1";
  event.remote = "127.0.0.1:5";
  EXPECT_EQ(FormatAuditLine(event),
            R"({"ts":"2026-01-31T12:00:00.123Z","type":"audit","action":"replace_ml_model",)"
            R"("principal":"ops","outcome":"ok","status":200,"requested":"b2",)"
            R"("from":{"name":"digits","version":1,"tag":"a1"},)"
            R"("to":{"name":"digits","version":2,"tag":"b2"},)"
            R"("request_id":"r-1","remote":"127.0.0.1:5"})");
  event.from.reset();
  event.to.reset();
  event.outcome = "failed";
  event.error = "not found";
  Json line = Json::parse(FormatAuditLine(event));
  EXPECT_TRUE(line["from"].is_null());
  EXPECT_EQ(line["error"], "not found");
}

TEST(AuditLogTest, ValidatesNamesFromRequests) {
  EXPECT_TRUE(ValidateRequestName("tag", "a1b2c3d").ok());
  EXPECT_TRUE(ValidateRequestName("tag", "v1.2_rc-3").ok());
  EXPECT_TRUE(ValidateRequestName("tag", std::string(128, 'a')).ok());
  EXPECT_EQ(ValidateRequestName("tag", "").message(), "tag: must not be empty");
  EXPECT_EQ(ValidateRequestName("tag", std::string(129, 'a')).message(),
            "tag: longer than 128 characters");
  EXPECT_EQ(ValidateRequestName("tag", "..").message(), "tag: must not contain '..'");
  EXPECT_EQ(ValidateRequestName("name", "a..b").message(), "name: must not contain '..'");
  EXPECT_EQ(ValidateRequestName("tag", "../etc/passwd").message(),
            "tag: must not contain '/' or '\\' (a name, not a path)");
  EXPECT_EQ(ValidateRequestName("tag", "a\\b").message(),
            "tag: must not contain '/' or '\\' (a name, not a path)");
  EXPECT_EQ(ValidateRequestName("tag", "a\nb").message(),
            "tag: must not contain control characters");
  EXPECT_EQ(ValidateRequestName("tag", std::string("a\0b", 3)).message(),
            "tag: must not contain control characters");
}

class AuditReplaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(router_
                    .Add("POST", "/replace_ml_model", "replace_ml_model",
                         [this](HttpRequest& request) {
                           ++calls_;
                           auto tag = request.query.find("tag");
                           if (tag != request.query.end() && tag->second == "nosuch")
                             return JsonError(404, "replace_failed", "no version nosuch");
                           return JsonResponse("{}");
                         })
                    .ok());
    ASSERT_TRUE(AuditReplaceRoute(router_, manager_, log_).ok());
  }

  HttpResponse Call(std::string target, std::string body = "", std::string_view principal = "ops") {
    HttpRequest request;
    request.method = "POST";
    request.target = std::move(target);
    request.body = std::move(body);
    request.request_id = "r-9";
    request.remote = "127.0.0.1:1";
    request.principal = principal;
    RouteMatch match = router_.Route(request);
    EXPECT_NE(match.handler, nullptr);
    if (auto q = request.target.find("?tag="); q != std::string::npos)
      request.query["tag"] = request.target.substr(q + 5);
    return (*match.handler)(request);
  }

  Json Line(size_t i) { return Json::parse(lines_.at(i)); }

  Router router_;
  NoLoader loader_;
  ModelManager manager_{loader_};
  std::vector<std::string> lines_;
  AuditLog log_{[this](std::string_view line) { lines_.emplace_back(line); }};
  int calls_ = 0;
};

TEST_F(AuditReplaceTest, RecordsSuccessAndFailure) {
  EXPECT_EQ(Call("/replace_ml_model?tag=a1b2").status, 200);
  EXPECT_EQ(Call("/replace_ml_model?tag=nosuch", "", "").status, 404);
  EXPECT_EQ(calls_, 2);
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0].back(), '\n');
  EXPECT_EQ(Line(0)["principal"], "ops");
  EXPECT_EQ(Line(0)["outcome"], "ok");
  EXPECT_EQ(Line(0)["requested"], "a1b2");
  EXPECT_EQ(Line(0)["request_id"], "r-9");
  EXPECT_EQ(Line(1)["principal"], "anonymous");
  EXPECT_EQ(Line(1)["outcome"], "failed");
  EXPECT_EQ(Line(1)["status"], 404);
  EXPECT_EQ(Line(1)["error"], "no version nosuch");
}

TEST_F(AuditReplaceTest, RejectsBadTagsBeforeTheHandlerNamingTheField) {
  HttpResponse dots = Call("/replace_ml_model?tag=..");
  EXPECT_EQ(dots.status, 422);
  EXPECT_EQ(dots.body,
            R"({"error":{"code":"invalid_tag","message":"tag: must not contain '..'"}})");
  HttpResponse body_name = Call("/replace_ml_model", R"({"tag": "ok", "name": "a/b"})");
  EXPECT_EQ(body_name.status, 422);
  EXPECT_EQ(Json::parse(body_name.body)["error"]["message"],
            "name: must not contain '/' or '\\' (a name, not a path)");
  EXPECT_EQ(Call("/replace_ml_model", R"({"tag": "x\\y"})").status, 422);
  EXPECT_EQ(Call("/replace_ml_model?tag=" + std::string(200, 'a')).status, 422);
  EXPECT_EQ(calls_, 0);
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_EQ(Line(0)["outcome"], "rejected");
  EXPECT_TRUE(Line(0)["requested"].is_null());
}

TEST(AuditReplaceRouteTest, NeedsTheRoute) {
  Router router;
  NoLoader loader;
  ModelManager manager(loader);
  AuditLog log([](std::string_view) {});
  EXPECT_EQ(AuditReplaceRoute(router, manager, log).code(), Code::kNotFound);
}

}  // namespace
}  // namespace conveyor::serving
