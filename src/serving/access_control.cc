#include "serving/access_control.h"

#include <array>

#include "common/strings.h"

namespace conveyor::serving {

namespace {

constexpr std::array<std::string_view, 5> kPermissionNames = {"none", "read", "predict", "feedback",
                                                              "admin"};
constexpr std::string_view kBearer = "Bearer";
constexpr std::string_view kChallenge = "Bearer realm=\"conveyor\"";
constexpr std::string_view kInvalidTokenChallenge =
    "Bearer realm=\"conveyor\", error=\"invalid_token\"";

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The token of "Bearer TOKEN", or "" when `authorization` is not that.
std::string_view BearerToken(std::string_view authorization) {
  if (authorization.size() <= kBearer.size() ||
      !EqualsIgnoreCase(authorization.substr(0, kBearer.size()), kBearer) ||
      !IsBlank(authorization[kBearer.size()])) {
    return {};
  }
  std::string_view token = authorization.substr(kBearer.size());
  while (!token.empty() && IsBlank(token.front()))
    token.remove_prefix(1);
  while (!token.empty() && IsBlank(token.back()))
    token.remove_suffix(1);
  // One token68 word: blanks inside mean something else was sent.
  for (char c : token) {
    if (IsBlank(c) || static_cast<unsigned char>(c) < 0x21 || c == 0x7f)
      return {};
  }
  return token;
}

// "admin", "predict (or admin)": the roles that grant `permission`.
std::string RolesGranting(Permission permission) {
  switch (permission) {
    case Permission::kNone:
    case Permission::kRead:
      return "read (or any role)";
    case Permission::kPredict:
      return "predict (or admin)";
    case Permission::kFeedback:
      return "feedback (or admin)";
    case Permission::kAdmin:
      return "admin";
  }
  return "admin";
}

}  // namespace

std::string_view PermissionName(Permission permission) {
  return kPermissionNames[static_cast<size_t>(permission)];
}

bool Grants(Role role, Permission permission) {
  switch (permission) {
    case Permission::kNone:
    case Permission::kRead:
      return true;
    case Permission::kPredict:
      return role == Role::kPredict || role == Role::kAdmin;
    case Permission::kFeedback:
      return role == Role::kFeedback || role == Role::kAdmin;
    case Permission::kAdmin:
      return role == Role::kAdmin;
  }
  return false;
}

void AccessPolicy::Set(std::string_view name, Permission permission) {
  for (auto& [entry_name, entry_permission] : entries_) {
    if (entry_name == name) {
      entry_permission = permission;
      return;
    }
  }
  entries_.emplace_back(std::string(name), permission);
}

std::optional<Permission> AccessPolicy::Find(std::string_view name) const {
  for (const auto& [entry_name, permission] : entries_) {
    if (entry_name == name)
      return permission;
  }
  return std::nullopt;
}

Permission AccessPolicy::Required(std::string_view name) const {
  return Find(name).value_or(Permission::kAdmin);
}

std::vector<std::string> AccessPolicy::Uncovered(const Router& router) const {
  std::vector<std::string> uncovered;
  for (const RouteInfo& route : router.Routes()) {
    if (!Find(route.name))
      uncovered.emplace_back(route.name);
  }
  return uncovered;
}

AccessPolicy DefaultAccessPolicy(const AccessPolicyOptions& options) {
  AccessPolicy policy;
  // Probes and liveness: open, so that Kubernetes and load balancers need no
  // secret.
  for (std::string_view name : {"healthz", "readyz", "v2_live", "v2_ready"})
    policy.Set(name, Permission::kNone);
  policy.Set("metrics", options.metrics_auth ? Permission::kRead : Permission::kNone);
  for (std::string_view name : {"experiment_metas", "openapi", "docs", "docs_asset", "v2_server",
                                "v2_model", "v2_model_ready"}) {
    policy.Set(name, Permission::kRead);
  }
  policy.Set("predict", Permission::kPredict);
  policy.Set("v2_infer", Permission::kPredict);
  policy.Set("replace_ml_model", Permission::kAdmin);
  policy.Set("feedback", Permission::kFeedback);
  policy.Set("alertmanager_hook", Permission::kFeedback);
  return policy;
}

AccessDecision Decide(const TokenStore& tokens, Permission needed, std::string_view authorization) {
  AccessDecision decision;
  decision.needed = needed;
  if (needed == Permission::kNone)
    return decision;
  decision.outcome = AccessOutcome::kUnauthenticated;
  if (TrimBlanks(authorization, " \t").empty()) {
    decision.why = AccessDecision::Why::kMissing;
    return decision;
  }
  std::string_view token = BearerToken(authorization);
  if (token.empty()) {
    decision.why = AccessDecision::Why::kMalformed;
    return decision;
  }
  const TokenEntry* entry = tokens.Find(token);
  if (entry == nullptr) {
    decision.why = AccessDecision::Why::kUnknownToken;
    return decision;
  }
  decision.token = entry;
  decision.outcome =
      Grants(entry->role, needed) ? AccessOutcome::kAllow : AccessOutcome::kForbidden;
  return decision;
}

HttpResponse DenialResponse(const AccessDecision& decision, std::string_view route) {
  const std::string what = route.empty() ? std::string("this request") : std::string(route);
  if (decision.outcome == AccessOutcome::kForbidden && decision.token != nullptr) {
    return JsonError(403, "forbidden",
                     fmt::format("{} needs role {}; token '{}' has role {}", what,
                                 RolesGranting(decision.needed), decision.token->name,
                                 RoleName(decision.token->role)));
  }
  std::string message;
  std::string_view challenge = kChallenge;
  switch (decision.why) {
    case AccessDecision::Why::kMalformed:
      message = "malformed Authorization header: expected 'Authorization: Bearer TOKEN'";
      challenge = kInvalidTokenChallenge;
      break;
    case AccessDecision::Why::kUnknownToken:
      message = "unknown token";
      challenge = kInvalidTokenChallenge;
      break;
    case AccessDecision::Why::kMissing:
    case AccessDecision::Why::kNone:
      message = fmt::format("{} needs a token with role {}: send 'Authorization: Bearer TOKEN'",
                            what, RolesGranting(decision.needed));
      break;
  }
  HttpResponse response = JsonError(401, "unauthorized", message);
  response.headers.emplace_back("WWW-Authenticate", challenge);
  return response;
}

RouteAuthorizer::RouteAuthorizer(const TokenStore& tokens, const AccessPolicy& policy,
                                 const Router& router)
    : tokens_(tokens) {
  std::vector<RouteInfo> routes = router.Routes();
  by_route_.reserve(routes.size());
  for (const RouteInfo& route : routes)
    by_route_.push_back(policy.Required(route.name));
}

AuthResult RouteAuthorizer::Authorize(const RouteMatch& match,
                                      std::string_view authorization) const {
  // A 404, 405 or unparsable target runs no handler; it still needs a token,
  // so that the API cannot be mapped anonymously.
  Permission needed = Permission::kRead;
  if (match.handler != nullptr)
    needed = match.index < by_route_.size() ? by_route_[match.index] : Permission::kAdmin;
  AccessDecision decision = Decide(tokens_, needed, authorization);
  AuthResult result;
  if (decision.token != nullptr)
    result.principal = decision.token->name;
  if (decision.outcome != AccessOutcome::kAllow) {
    result.denial = std::make_unique<HttpResponse>(
        DenialResponse(decision, match.handler != nullptr ? match.pattern : std::string_view()));
  }
  return result;
}

}  // namespace conveyor::serving
