#include "serving/access_control.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "registry/registry_store.h"
#include "serving/serve_routes.h"
#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kRead = "read-token-000001";
constexpr std::string_view kPredict = "predict-token-001";
constexpr std::string_view kFeedback = "feedback-token-01";
constexpr std::string_view kAdmin = "admin-token-00001";

TokenStore Tokens() {
  std::vector<std::string> warnings;
  Result<std::vector<TokenEntry>> entries = ParseTokensEnv(
      fmt::format("reader={}:read,predictor={}:predict,feeder={}:feedback,ops={}:admin", kRead,
                  kPredict, kFeedback, kAdmin),
      warnings);
  TokenStore store;
  EXPECT_TRUE(entries.ok() && store.Add(*entries).ok());
  return store;
}

std::string Bearer(std::string_view token) { return fmt::format("Bearer {}", token); }

TEST(AccessControlTest, RolesGrantTheDocumentedPermissions) {
  // Rows: read, predict, feedback, admin; columns: none, read, predict,
  // feedback, admin (the table in access_control.h).
  const bool kTable[4][5] = {{true, true, false, false, false},
                             {true, true, true, false, false},
                             {true, true, false, true, false},
                             {true, true, true, true, true}};
  for (int role = 0; role < 4; ++role) {
    for (int permission = 0; permission < 5; ++permission) {
      EXPECT_EQ(Grants(static_cast<Role>(role), static_cast<Permission>(permission)),
                kTable[role][permission])
          << RoleName(static_cast<Role>(role)) << " / "
          << PermissionName(static_cast<Permission>(permission));
    }
  }
}

TEST(AccessControlTest, DecidesPerRolePerRouteClass) {
  TokenStore tokens = Tokens();
  const std::pair<std::string_view, Role> kTokens[] = {{kRead, Role::kRead},
                                                       {kPredict, Role::kPredict},
                                                       {kFeedback, Role::kFeedback},
                                                       {kAdmin, Role::kAdmin}};
  for (Permission needed :
       {Permission::kRead, Permission::kPredict, Permission::kFeedback, Permission::kAdmin}) {
    for (const auto& [token, role] : kTokens) {
      AccessDecision decision = Decide(tokens, needed, Bearer(token));
      EXPECT_EQ(decision.outcome,
                Grants(role, needed) ? AccessOutcome::kAllow : AccessOutcome::kForbidden)
          << PermissionName(needed) << " with " << RoleName(role);
      ASSERT_NE(decision.token, nullptr);
      EXPECT_EQ(decision.token->role, role);
    }
    EXPECT_EQ(Decide(tokens, needed, "").outcome, AccessOutcome::kUnauthenticated);
    EXPECT_EQ(Decide(tokens, needed, "").why, AccessDecision::Why::kMissing);
    EXPECT_EQ(Decide(tokens, needed, "Bearer not-a-known-token").why,
              AccessDecision::Why::kUnknownToken);
  }
  // Open routes look at nothing, not even a bad header.
  AccessDecision open = Decide(tokens, Permission::kNone, "garbage");
  EXPECT_EQ(open.outcome, AccessOutcome::kAllow);
  EXPECT_EQ(open.token, nullptr);
}

TEST(AccessControlTest, ParsesTheBearerHeader) {
  TokenStore tokens = Tokens();
  for (std::string header : {"bearer " + std::string(kAdmin), "BEARER   " + std::string(kAdmin),
                             "Bearer " + std::string(kAdmin) + "  "}) {
    EXPECT_EQ(Decide(tokens, Permission::kAdmin, header).outcome, AccessOutcome::kAllow) << header;
  }
  for (std::string header :
       {std::string(kAdmin), "Basic " + std::string(kAdmin), std::string("Bearer"),
        std::string("Bearer "), "Bearer" + std::string(kAdmin),
        "Bearer " + std::string(kAdmin) + " extra", "Bearer " + std::string(kAdmin) + "\x01"}) {
    AccessDecision decision = Decide(tokens, Permission::kRead, header);
    EXPECT_EQ(decision.outcome, AccessOutcome::kUnauthenticated) << header;
    EXPECT_EQ(decision.why, AccessDecision::Why::kMalformed) << header;
  }
}

TEST(AccessControlTest, DenialsAreJsonWithAChallengeAndNoToken) {
  TokenStore tokens = Tokens();
  HttpResponse missing = DenialResponse(Decide(tokens, Permission::kPredict, ""), "/predict");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.body,
            R"({"error":{"code":"unauthorized","message":"/predict needs a token with role )"
            R"(predict (or admin): send 'Authorization: Bearer TOKEN'"}})");
  ASSERT_EQ(missing.headers.size(), 1u);
  EXPECT_EQ(missing.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(missing.headers[0].second, R"(Bearer realm="conveyor")");

  HttpResponse unknown =
      DenialResponse(Decide(tokens, Permission::kRead, "Bearer secret-guess-123"), "/v2");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body, R"({"error":{"code":"unauthorized","message":"unknown token"}})");
  EXPECT_EQ(unknown.headers[0].second, R"(Bearer realm="conveyor", error="invalid_token")");

  HttpResponse malformed = DenialResponse(Decide(tokens, Permission::kRead, "Basic eDp5"), "");
  EXPECT_EQ(Json::parse(malformed.body)["error"]["message"],
            "malformed Authorization header: expected 'Authorization: Bearer TOKEN'");

  HttpResponse forbidden =
      DenialResponse(Decide(tokens, Permission::kAdmin, Bearer(kPredict)), "/replace_ml_model");
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.body,
            R"({"error":{"code":"forbidden","message":"/replace_ml_model needs role admin; )"
            R"(token 'predictor' has role predict"}})");
  EXPECT_TRUE(forbidden.headers.empty());
  for (const HttpResponse* response : {&missing, &unknown, &malformed, &forbidden}) {
    for (std::string_view token : {kRead, kPredict, kFeedback, kAdmin})
      EXPECT_EQ(response->body.find(token), std::string::npos);
  }
}

TEST(AccessControlTest, RoutesWithoutAnEntryAreAdminOnly) {
  AccessPolicy policy = DefaultAccessPolicy();
  EXPECT_EQ(policy.Find("some_new_route"), std::nullopt);
  EXPECT_EQ(policy.Required("some_new_route"), Permission::kAdmin);

  Router router;
  auto ok = [](HttpRequest&) { return JsonResponse("{}"); };
  ASSERT_TRUE(router.Add("GET", "/predict", "predict", ok).ok());
  ASSERT_TRUE(router.Add("POST", "/feedback", "feedback_new", ok).ok());
  EXPECT_EQ(policy.Uncovered(router), std::vector<std::string>{"feedback_new"});
  TokenStore tokens = Tokens();
  RouteAuthorizer authorizer(tokens, policy, router);
  HttpRequest request;
  request.method = "POST";
  request.target = "/feedback";
  RouteMatch match = router.Route(request);
  for (std::string_view token : {kRead, kPredict, kFeedback}) {
    AuthResult denied = authorizer.Authorize(match, Bearer(token));
    ASSERT_NE(denied.denial, nullptr) << token;
    EXPECT_EQ(denied.denial->status, 403);
  }
  AuthResult allowed = authorizer.Authorize(match, Bearer(kAdmin));
  EXPECT_EQ(allowed.denial, nullptr);
  EXPECT_EQ(allowed.principal, "ops");
}

TEST(AccessControlTest, UnmatchedRequestsNeedSomeToken) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/x", "x", [](HttpRequest&) { return JsonResponse("{}"); }).ok());
  AccessPolicy policy;
  policy.Set("x", Permission::kNone);
  TokenStore tokens = Tokens();
  RouteAuthorizer authorizer(tokens, policy, router);
  HttpRequest request;
  request.method = "GET";
  request.target = "/nowhere";
  RouteMatch not_found = router.Route(request);
  EXPECT_EQ(authorizer.Authorize(not_found, "").denial->status, 401);
  EXPECT_EQ(authorizer.Authorize(not_found, Bearer(kRead)).denial, nullptr);
  request.method = "POST";
  request.target = "/x";
  RouteMatch wrong_method = router.Route(request);
  EXPECT_EQ(authorizer.Authorize(wrong_method, "").denial->status, 401);
  EXPECT_EQ(authorizer.Authorize(RouteMatch(), "").denial->status, 401);
  request.method = "GET";
  AuthResult open = authorizer.Authorize(router.Route(request), "");
  EXPECT_EQ(open.denial, nullptr);
  EXPECT_EQ(open.principal, "");
}

class NoLoader : public ModelLoader {
 public:
  Result<std::unique_ptr<ServedModel>> Load(std::string_view ref) override {
    return Error(Code::kNotFound, "no model {}", ref);
  }
};

// The routes `conveyor serve` registers (AddServeRoutes, as the command calls
// it): each must have an explicit entry, so that none is closed by accident.
TEST(AccessControlTest, EveryServeRouteHasAPolicyEntry) {
  testing::TempDir dir;
  Result<std::unique_ptr<RegistryStore>> store =
      OpenRegistryStore("sqlite:" + (dir / "registry.db").string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  NoLoader loader;
  ModelManager manager(loader);
  ModelService service(manager, **store, "digits");
  KserveV2 v2(manager, "0.0.0");
  ServingMetrics metrics;
  FeedbackTracker tracker;
  FeedbackService feedback(manager, tracker);
  RetrainTrigger trigger({}, [](std::string_view) {});
  AlertHookService alert_hook(trigger);
  Router router;
  ASSERT_TRUE(AddServeRoutes(router, {.service = service,
                                      .v2 = v2,
                                      .openapi_json = "{}",
                                      .metrics = &metrics,
                                      .feedback = &feedback,
                                      .alert_hook = &alert_hook})
                  .ok());
  ASSERT_GE(router.size(), 17u);
  for (bool metrics_auth : {false, true}) {
    EXPECT_EQ(DefaultAccessPolicy({.metrics_auth = metrics_auth}).Uncovered(router),
              std::vector<std::string>{});
  }
  AccessPolicy policy = DefaultAccessPolicy();
  EXPECT_EQ(policy.Required("replace_ml_model"), Permission::kAdmin);
  EXPECT_EQ(policy.Required("feedback"), Permission::kFeedback);
  EXPECT_EQ(policy.Required("alertmanager_hook"), Permission::kFeedback);
  EXPECT_EQ(policy.Required("predict"), Permission::kPredict);
  EXPECT_EQ(policy.Required("v2_infer"), Permission::kPredict);
  EXPECT_EQ(policy.Required("experiment_metas"), Permission::kRead);
  EXPECT_EQ(policy.Required("openapi"), Permission::kRead);
  EXPECT_EQ(policy.Required("v2_model"), Permission::kRead);
  EXPECT_EQ(policy.Required("healthz"), Permission::kNone);
  EXPECT_EQ(policy.Required("v2_ready"), Permission::kNone);
  EXPECT_EQ(policy.Required("metrics"), Permission::kNone);
  EXPECT_EQ(DefaultAccessPolicy({.metrics_auth = true}).Required("metrics"), Permission::kRead);
}

}  // namespace
}  // namespace conveyor::serving
