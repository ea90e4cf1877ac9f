// Who may call which route of `conveyor serve`: permissions, what each role
// grants, the route policy, and the decision for one request.
//
// Each route requires one permission; a token's role grants some:
//
//   role \ permission   read   predict   feedback   admin
//   read                 yes     -          -         -
//   predict              yes    yes         -         -
//   feedback             yes     -         yes        -
//   admin                yes    yes        yes       yes
//
// (admin ⊇ everything; predict ⊇ read; feedback ⊇ read.) A route whose
// permission is kNone is open: no token is asked for or looked at.
//
// The default policy (DefaultAccessPolicy), by route name (Router::Add):
//   open:    healthz, readyz, v2_live, v2_ready; metrics (read with --metrics-auth)
//   read:    experiment_metas, openapi, docs, docs_asset, v2_server, v2_model,
//            v2_model_ready
//   predict: predict, v2_infer
//   feedback: feedback, alertmanager_hook
//   admin:   replace_ml_model
// A route with no entry needs admin: a new route is closed to everyone else
// until someone writes down who may call it (fail closed). A request that
// matches no route (404, 405, or a target that cannot be parsed) needs any
// valid token (read), so anonymous callers cannot map the API.
//
// Decisions: no or a malformed `Authorization: Bearer TOKEN` header, or an
// unknown token: 401 "unauthorized" with `WWW-Authenticate: Bearer
// realm="conveyor"`. A known token whose role lacks the permission: 403
// "forbidden", naming the role needed and the token's name and role. The
// token itself is never echoed.
//
// Thread safety: AccessPolicy is a value, read-only once handed out;
// Decide is a pure function; RouteAuthorizer is immutable after construction
// and safe from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serving/http_types.h"
#include "serving/request_authorizer.h"
#include "serving/router.h"
#include "serving/token_store.h"

namespace conveyor::serving {

enum class Permission : uint8_t { kNone, kRead, kPredict, kFeedback, kAdmin };

// "none", "read", "predict", "feedback", "admin".
std::string_view PermissionName(Permission permission);

// Whether `role` grants `permission` (the table above).
bool Grants(Role role, Permission permission);

// The route-name -> permission table.
class AccessPolicy {
 public:
  // Sets (or replaces) the permission route `name` requires.
  void Set(std::string_view name, Permission permission);
  // The explicit entry for `name`, if any.
  std::optional<Permission> Find(std::string_view name) const;
  // The entry, or kAdmin for a route without one (fail closed).
  Permission Required(std::string_view name) const;
  // The names of `router`'s routes that have no explicit entry, in
  // registration order (serve warns about them; a test keeps it empty).
  std::vector<std::string> Uncovered(const Router& router) const;

 private:
  std::vector<std::pair<std::string, Permission>> entries_;
};

struct AccessPolicyOptions {
  // --metrics-auth: GET /metrics needs read instead of being open.
  bool metrics_auth = false;
};

// The policy of the routes `conveyor serve` registers (table above).
AccessPolicy DefaultAccessPolicy(const AccessPolicyOptions& options = {});

enum class AccessOutcome : uint8_t { kAllow, kUnauthenticated, kForbidden };

struct AccessDecision {
  AccessOutcome outcome = AccessOutcome::kAllow;
  // Why a 401: nothing sent, not a Bearer header, or no such token.
  enum class Why : uint8_t { kNone, kMissing, kMalformed, kUnknownToken } why = Why::kNone;
  Permission needed = Permission::kNone;
  // The caller's token when one was presented and known (allow or 403);
  // null for an open route and for 401. Points into the TokenStore.
  const TokenEntry* token = nullptr;
};

// The decision for a request needing `needed`, given its Authorization
// header's value ("" when absent). Bearer's scheme name is matched in any
// case; the token is everything after the blanks that follow it.
AccessDecision Decide(const TokenStore& tokens, Permission needed, std::string_view authorization);

// The 401 or 403 for a denial (precondition: outcome != kAllow). `route` is
// the route's pattern ("/replace_ml_model"), or "" when unmatched.
HttpResponse DenialResponse(const AccessDecision& decision, std::string_view route);

// The RequestAuthorizer `conveyor serve` installs: the route's permission
// from a table built once from the policy (an index by RouteMatch::index),
// then Decide. The principal is the token's name.
class RouteAuthorizer : public RequestAuthorizer {
 public:
  // `tokens` must outlive the authorizer; `router` must have all its routes
  // (it is read here only).
  RouteAuthorizer(const TokenStore& tokens, const AccessPolicy& policy, const Router& router);

  AuthResult Authorize(const RouteMatch& match, std::string_view authorization) const override;

 private:
  const TokenStore& tokens_;
  std::vector<Permission> by_route_;  // indexed by RouteMatch::index
};

}  // namespace conveyor::serving
