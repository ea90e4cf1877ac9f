// One forge's REST API as the backends use it: the base URL and
// authentication headers added, retries by retry_policy.h, pagination, and
// every failure turned into one line that says what conveyor was doing, what
// the forge answered and what to change.
//
// Headers sent with every call:
//   GitLab  PRIVATE-TOKEN: <token>, Accept: application/json
//   GitHub  Authorization: Bearer <token>, Accept: application/vnd.github+json,
//           X-GitHub-Api-Version: 2022-11-28
//   both    User-Agent: conveyor/<version>; Content-Type when there is a body
//
// Failure messages (codes):
//   401        kPermissionDenied  "<Forge> rejected the token in <VAR> while
//                                 <what> (<METHOD> <path>: 401 <message>); <fix>"
//   403        kPermissionDenied  "<Forge> refused <what> (<METHOD> <path>: 403
//                                 <message>): the token in <VAR> needs <permission>"
//   404        kNotFound          "<Forge> found nothing while <what> (<METHOD>
//                                 <path>: 404 <message>): <not_found>"
//   400, 409, 422  kInvalid       "<Forge> rejected <what> (<METHOD> <path>:
//                                 422 <message and field errors>)"
//   rate limit kUnavailable       "<Forge> rate limit hit while <what> (<METHOD>
//                                 <path>: 429): <why it gave up>"
//   5xx        kUnavailable       "<Forge> failed while <what> (<METHOD> <path>:
//                                 502 <message>) after 4 attempts"
//   transport  kUnavailable       "<Forge> unreachable while <what>: <curl error>
//                                 after 4 attempts"
// The token is scrubbed from every message ("<redacted>") in case a server
// echoes it, and so is the password of any URL quoted (common/redact.h).
//
// Thread safety: not thread-safe (one ForgeApi per posting). The context, the
// client and the clock must outlive it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ci/ci_context.h"
#include "ci/http_client.h"
#include "ci/retry_policy.h"
#include "common/status.h"

namespace conveyor::ci {

struct ApiCall {
  std::string method = "GET";
  // Below the API root, query included: "/projects/42/merge_requests/12/notes".
  // Path segments are already percent-encoded.
  std::string path;
  std::string body;                               // empty: none
  std::string content_type = "application/json";  // when body is not empty
  // For messages, a gerund phrase: "creating the note on merge request !12".
  std::string what;
  // For 404: what may be missing, naming the variables that chose it.
  std::string not_found;
  // For 403: the scope, role or permission the token needs.
  std::string permission;
  // The context's token is in `body` (GitLab's pipeline trigger token), so
  // no authentication header is sent.
  bool token_in_body = false;
  // Statuses other than 2xx returned to the caller instead of failing
  // (e.g. 404 when looking for a file that may not exist).
  std::vector<int> pass_through;
};

class ForgeApi {
 public:
  ForgeApi(const CiContext& context, HttpClient& http, Clock& clock, RetryOptions retry = {});

  // Sends `call`, retrying per retry_policy.h. Returns a 2xx response (or one
  // listed in call.pass_through); any other outcome is an error as above.
  Result<HttpResponse> Send(const ApiCall& call);

  // Sends `call` and parses its JSON body.
  Result<nlohmann::json> SendJson(const ApiCall& call);

  // GETs every page of a list (call.path should ask for per_page=100),
  // following the Link header's rel="next" (both forges), else GitLab's
  // X-Next-Page. Stops after `max_pages`. A next link to another host is an
  // error (the token would go with it).
  Result<std::vector<nlohmann::json>> GetAll(const ApiCall& call, int max_pages = 100);

  const CiContext& context() const { return context_; }

 private:
  HttpRequest BuildRequest(const ApiCall& call) const;
  Status Failure(const ApiCall& call, const Result<HttpResponse>& outcome,
                 const RetryDecision& decision, int attempts) const;
  std::string Redact(std::string text) const;

  // Constant after construction.
  const CiContext& context_;
  HttpClient& http_;
  Clock& clock_;
  const RetryOptions retry_;
};

// The API's own words from an error body, on one line: GitHub's "message"
// plus its "errors" (field and code, or message); GitLab's "message" (a
// string, or field errors {"note": ["is too long"]}) or "error". Empty when
// the body says nothing usable; at most 300 characters.
std::string ApiErrorMessage(std::string_view body);

// Percent-encodes one path segment (RFC 3986 unreserved characters kept).
std::string EncodePathSegment(std::string_view segment);

// Percent-encodes a relative path segment by segment, keeping the '/'.
std::string EncodePath(std::string_view path);

}  // namespace conveyor::ci
