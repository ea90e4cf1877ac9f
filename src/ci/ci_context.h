// Where a report is posted: the forge, its API, the project, the merge
// request / pull request (or, when there is none, the commit), and the token,
// all read from the CI job's environment variables.
//
// GitLab CI (GITLAB_CI=true):
//   CI_API_V4_URL      API root ("https://gitlab.com/api/v4"); default
//                      CI_SERVER_URL + "/api/v4"
//   CI_SERVER_URL      web root, for links ("https://gitlab.com")     required
//   CI_PROJECT_ID      numeric project id                              required
//   CI_PROJECT_PATH    "group/project", for links                      required
//   CI_COMMIT_SHA      the commit the pipeline runs on                 required
//   CI_MERGE_REQUEST_IID  set in merge request pipelines only; absent: the
//                      report goes on the commit
//   token: CONVEYOR_GITLAB_TOKEN, else GITLAB_TOKEN. A project, group or
//   personal access token with the `api` scope, from a member with at least
//   the Reporter role (Developer to upload images on protected projects).
//   CI_JOB_TOKEN cannot write notes or uploads, so it is not used.
//
// GitHub Actions (GITHUB_ACTIONS=true):
//   GITHUB_API_URL     default "https://api.github.com"
//   GITHUB_SERVER_URL  default "https://github.com"
//   GITHUB_REPOSITORY  "owner/repo"                                    required
//   GITHUB_SHA         the commit                                      required
//   GITHUB_EVENT_NAME, GITHUB_EVENT_PATH  for pull_request and
//                      pull_request_target events the JSON event file gives
//                      pull_request.number and pull_request.head.sha (the
//                      PR's head, not GITHUB_SHA's merge commit)
//   GITHUB_REF         "refs/pull/N/merge" names the PR when the event file
//                      does not
//   token: CONVEYOR_GITHUB_TOKEN, else GITHUB_TOKEN (which the workflow must
//   pass: `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`). Permissions:
//   `pull-requests: write` for PR comments, `contents: write` for commit
//   comments and for the images branch (see github_backend.h).
//
// Empty variables count as unset. Errors name the variable at fault and never
// contain a token.
//
// Thread safety: pure functions over the lookup they are given; CiContext is
// a value.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/environment.h"
#include "common/status.h"

namespace conveyor::ci {

enum class Forge { kGitLab, kGitHub };

// "GitLab" or "GitHub".
std::string_view ForgeName(Forge forge);

// A credential. It has no formatter and no stream operator, so it cannot end
// up in a message by accident; Reveal() is called only where a request header
// is built.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

struct CiContext {
  Forge forge = Forge::kGitLab;
  std::string api_url;     // without a trailing '/': "https://gitlab.com/api/v4"
  std::string server_url;  // without a trailing '/': "https://gitlab.com"
  // GitLab: the numeric project id ("42"). GitHub: "owner/repo".
  std::string project;
  // For web links: GitLab "group/project"; GitHub "owner/repo".
  std::string project_path;
  std::string commit_sha;
  // The merge request IID (GitLab) or pull request number (GitHub); 0 when
  // there is none and the report goes on the commit.
  int64_t change_number = 0;
  Secret token;
  std::string token_variable;  // where the token came from: "GITLAB_TOKEN"
};

// Detects GitLab CI or GitHub Actions from `env`. Reads GITHUB_EVENT_PATH's
// file on GitHub pull request events. Errors: kInvalid when neither (or both)
// of GITLAB_CI and GITHUB_ACTIONS is "true", or a required variable is
// missing or malformed (the message names it); kPermissionDenied when no
// token is set.
Result<CiContext> DetectCiContext(const EnvLookup& env);

}  // namespace conveyor::ci
