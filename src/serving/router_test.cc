#include "serving/router.h"

#include <gtest/gtest.h>

namespace conveyor::serving {
namespace {

Handler Reply(const std::string& text) {
  return [text](HttpRequest&) { return JsonResponse(text); };
}

HttpRequest Request(std::string method, const std::string& target) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = target;
  request.path = target.substr(0, target.find('?'));
  return request;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(router_.Add("GET", "/health", "health", Reply("health")).ok());
    ASSERT_TRUE(router_.Add("POST", "/v2/models/{name}/infer", "v2_infer", Reply("infer")).ok());
    ASSERT_TRUE(router_.Add("GET", "/v2/models/{name}", "v2_model", Reply("model")).ok());
    ASSERT_TRUE(router_.Add("DELETE", "/v2/models/{name}", "v2_unload", Reply("unload")).ok());
    ASSERT_TRUE(
        router_.Add("GET", "/v2/models/{name}/versions/{version}", "v2_version", Reply("version"))
            .ok());
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralRoute) {
  HttpRequest request = Request("GET", "/health");
  RouteMatch match = router_.Route(request);
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.pattern, "/health");
  EXPECT_EQ(match.name, "health");
  EXPECT_EQ((*match.handler)(request).body, "health");
  EXPECT_TRUE(request.path_params.empty());
}

TEST_F(RouterTest, CapturesParams) {
  HttpRequest request = Request("GET", "/v2/models/digits/versions/3?x=1");
  RouteMatch match = router_.Route(request);
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.pattern, "/v2/models/{name}/versions/{version}");
  EXPECT_EQ(request.path_params,
            (std::map<std::string, std::string>{{"name", "digits"}, {"version", "3"}}));
}

TEST_F(RouterTest, ParamsArePercentDecodedPerSegment) {
  HttpRequest request = Request("POST", "/v2/models/a%2Fb%20c/infer");
  RouteMatch match = router_.Route(request);
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(request.path_params.at("name"), "a/b c");
}

TEST_F(RouterTest, EmptyParamDoesNotMatch) {
  HttpRequest request = Request("POST", "/v2/models//infer");
  EXPECT_EQ(router_.Route(request).handler, nullptr);
}

TEST_F(RouterTest, UnknownPathIs404) {
  HttpRequest request = Request("GET", "/nope");
  RouteMatch match = router_.Route(request);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.pattern, kUnmatchedRoute);
  EXPECT_EQ(match.error.status, 404);
  EXPECT_EQ(match.error.body, R"({"error":{"code":"not_found","message":"no route for /nope"}})");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  HttpRequest request = Request("PUT", "/v2/models/digits");
  RouteMatch match = router_.Route(request);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.pattern, "/v2/models/{name}");
  EXPECT_EQ(match.error.status, 405);
  ASSERT_EQ(match.error.headers.size(), 1U);
  EXPECT_EQ(match.error.headers[0],
            std::make_pair(std::string("Allow"), std::string("DELETE, GET, HEAD")));
  EXPECT_EQ(match.error.body,
            R"({"error":{"code":"method_not_allowed","message":"/v2/models/digits does not )"
            R"(accept PUT; allowed: DELETE, GET, HEAD"}})");
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  HttpRequest request = Request("HEAD", "/health");
  RouteMatch match = router_.Route(request);
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.pattern, "/health");
}

TEST_F(RouterTest, TrailingSlashIsADifferentPath) {
  HttpRequest request = Request("GET", "/health/");
  EXPECT_EQ(router_.Route(request).error.status, 404);
}

TEST(RouterAddTest, RejectsBadPatterns) {
  Router router;
  EXPECT_EQ(router.Add("GET", "health", "h", Reply("")).message(),
            "route GET health: a pattern must start with '/'");
  EXPECT_EQ(router.Add("GET", "/a/x{id}", "h", Reply("")).message(),
            "route GET /a/x{id}: segment \"x{id}\" must be literal text or a whole {param}");
  EXPECT_EQ(router.Add("GET", "/a/{}", "h", Reply("")).code(), Code::kInvalid);
  EXPECT_EQ(router.Add("get", "/a", "h", Reply("")).message(),
            "route /a: method \"get\" must be upper-case letters");
  EXPECT_EQ(router.Add("GET", "/a", "h", Handler()).message(),
            "route GET /a: the handler is empty");
  ASSERT_TRUE(router.Add("GET", "/a", "h", Reply("")).ok());
  Status twice = router.Add("GET", "/a", "h2", Reply(""));
  EXPECT_EQ(twice.code(), Code::kAlreadyExists);
  EXPECT_EQ(twice.message(), "route GET /a is registered twice");
  EXPECT_EQ(router.size(), 1U);
}

TEST(RouterAddTest, FirstRegisteredWinsBetweenOverlaps) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/m/ready", "ready", Reply("ready")).ok());
  ASSERT_TRUE(router.Add("GET", "/m/{name}", "model", Reply("model")).ok());
  HttpRequest ready = Request("GET", "/m/ready");
  EXPECT_EQ(router.Route(ready).name, "ready");
  HttpRequest other = Request("GET", "/m/digits");
  EXPECT_EQ(router.Route(other).name, "model");
}

}  // namespace
}  // namespace conveyor::serving
