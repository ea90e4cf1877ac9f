#include "ci/ci_context.h"

#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace conveyor::ci {

namespace {

std::optional<std::string> Get(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  if (value && value->empty()) {
    return std::nullopt;
  }
  return value;
}

std::string TrimSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

Result<std::string> Require(const EnvLookup& env, std::string_view ci, std::string_view name,
                            std::string_view why) {
  std::optional<std::string> value = Get(env, name);
  if (!value) {
    return Error(Code::kInvalid, "{}: {} is not set; it gives {}", ci, name, why);
  }
  return *value;
}

// A positive decimal number, or nullopt.
std::optional<int64_t> ParseNumber(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) {
    return std::nullopt;
  }
  return value;
}

// "refs/pull/17/merge" -> 17.
std::optional<int64_t> PullNumberFromRef(std::string_view ref) {
  constexpr std::string_view kPrefix = "refs/pull/";
  constexpr std::string_view kSuffix = "/merge";
  if (ref.substr(0, kPrefix.size()) != kPrefix || ref.size() <= kPrefix.size() + kSuffix.size() ||
      ref.substr(ref.size() - kSuffix.size()) != kSuffix) {
    return std::nullopt;
  }
  return ParseNumber(ref.substr(kPrefix.size(), ref.size() - kPrefix.size() - kSuffix.size()));
}

bool IsTrue(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = Get(env, name);
  return value && (*value == "true" || *value == "TRUE" || *value == "True");
}

Result<CiContext> DetectGitLab(const EnvLookup& env) {
  constexpr std::string_view kCi = "GitLab CI";
  CiContext ctx;
  ctx.forge = Forge::kGitLab;
  ASSIGN_OR_RETURN(std::string server,
                   Require(env, kCi, "CI_SERVER_URL", "the GitLab instance's address"));
  ctx.server_url = TrimSlashes(server);
  ctx.api_url = TrimSlashes(Get(env, "CI_API_V4_URL").value_or(ctx.server_url + "/api/v4"));
  ASSIGN_OR_RETURN(ctx.project,
                   Require(env, kCi, "CI_PROJECT_ID", "the project to post the report in"));
  if (!ParseNumber(ctx.project)) {
    return Error(Code::kInvalid, "{}: CI_PROJECT_ID is \"{}\", not a project id (a number)", kCi,
                 ctx.project);
  }
  ASSIGN_OR_RETURN(ctx.project_path,
                   Require(env, kCi, "CI_PROJECT_PATH", "the project's path for links"));
  ASSIGN_OR_RETURN(ctx.commit_sha,
                   Require(env, kCi, "CI_COMMIT_SHA", "the commit the report is about"));
  if (std::optional<std::string> iid = Get(env, "CI_MERGE_REQUEST_IID")) {
    std::optional<int64_t> number = ParseNumber(*iid);
    if (!number) {
      return Error(Code::kInvalid, "{}: CI_MERGE_REQUEST_IID is \"{}\", not a merge request number",
                   kCi, *iid);
    }
    ctx.change_number = *number;
  }
  for (std::string_view name : {"CONVEYOR_GITLAB_TOKEN", "GITLAB_TOKEN"}) {
    if (std::optional<std::string> token = Get(env, name)) {
      ctx.token = Secret(std::move(*token));
      ctx.token_variable = std::string(name);
      return ctx;
    }
  }
  return Error(Code::kPermissionDenied,
               "{}: no token to post with: set CONVEYOR_GITLAB_TOKEN or GITLAB_TOKEN (a masked CI "
               "variable) to a project or personal access token with the api scope and at least "
               "the Reporter role; CI_JOB_TOKEN cannot write notes",
               kCi);
}

// Reads pull_request.number and pull_request.head.sha from the event file.
Status ReadPullRequestEvent(const std::string& path, CiContext& ctx) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  try {
    nlohmann::json event = nlohmann::json::parse(text);
    const nlohmann::json& pr = event.at("pull_request");
    ctx.change_number = pr.at("number").get<int64_t>();
    ctx.commit_sha = pr.at("head").at("sha").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    return Error(Code::kInvalid,
                 "GitHub Actions: GITHUB_EVENT_PATH {}: no pull_request.number and "
                 "pull_request.head.sha in the event: {}",
                 path, e.what());
  }
  return OkStatus();
}

Result<CiContext> DetectGitHub(const EnvLookup& env) {
  constexpr std::string_view kCi = "GitHub Actions";
  CiContext ctx;
  ctx.forge = Forge::kGitHub;
  ctx.api_url = TrimSlashes(Get(env, "GITHUB_API_URL").value_or("https://api.github.com"));
  ctx.server_url = TrimSlashes(Get(env, "GITHUB_SERVER_URL").value_or("https://github.com"));
  ASSIGN_OR_RETURN(ctx.project, Require(env, kCi, "GITHUB_REPOSITORY",
                                        "the repository (owner/repo) to post the report in"));
  size_t slash = ctx.project.find('/');
  if (slash == 0 || slash == std::string::npos || slash + 1 == ctx.project.size() ||
      ctx.project.find('/', slash + 1) != std::string::npos) {
    return Error(Code::kInvalid, "{}: GITHUB_REPOSITORY is \"{}\", not owner/repo", kCi,
                 ctx.project);
  }
  ctx.project_path = ctx.project;
  ASSIGN_OR_RETURN(ctx.commit_sha,
                   Require(env, kCi, "GITHUB_SHA", "the commit the report is about"));
  std::string event = Get(env, "GITHUB_EVENT_NAME").value_or("");
  if (event == "pull_request" || event == "pull_request_target") {
    std::optional<std::string> path = Get(env, "GITHUB_EVENT_PATH");
    Status read = path ? ReadPullRequestEvent(*path, ctx)
                       : Error(Code::kInvalid, "{}: GITHUB_EVENT_PATH is not set", kCi);
    if (!read.ok()) {
      // The ref still names the PR; GITHUB_SHA is then its merge commit.
      std::optional<int64_t> number = PullNumberFromRef(Get(env, "GITHUB_REF").value_or(""));
      if (!number) {
        return read.WithContext(
            fmt::format("{} event without a readable pull request number (nor GITHUB_REF "
                        "refs/pull/N/merge)",
                        event));
      }
      ctx.change_number = *number;
    }
  } else if (std::optional<int64_t> number =
                 PullNumberFromRef(Get(env, "GITHUB_REF").value_or(""))) {
    ctx.change_number = *number;
  }
  for (std::string_view name : {"CONVEYOR_GITHUB_TOKEN", "GITHUB_TOKEN"}) {
    if (std::optional<std::string> token = Get(env, name)) {
      ctx.token = Secret(std::move(*token));
      ctx.token_variable = std::string(name);
      return ctx;
    }
  }
  return Error(Code::kPermissionDenied,
               "{}: no token to post with: pass the job's token to the step (env: GITHUB_TOKEN: "
               "${{{{ secrets.GITHUB_TOKEN }}}}) with permissions pull-requests: write and "
               "contents: write, or set CONVEYOR_GITHUB_TOKEN",
               kCi);
}

}  // namespace

std::string_view ForgeName(Forge forge) { return forge == Forge::kGitLab ? "GitLab" : "GitHub"; }

Result<CiContext> DetectCiContext(const EnvLookup& env) {
  bool gitlab = IsTrue(env, "GITLAB_CI");
  bool github = IsTrue(env, "GITHUB_ACTIONS");
  if (gitlab && github) {
    return Error(Code::kInvalid,
                 "both GITLAB_CI and GITHUB_ACTIONS are \"true\"; unset the one that does not "
                 "describe this job");
  }
  if (gitlab) {
    return DetectGitLab(env);
  }
  if (github) {
    return DetectGitHub(env);
  }
  return Error(Code::kInvalid,
               "not in a CI job: neither GITLAB_CI nor GITHUB_ACTIONS is \"true\"; posting a "
               "report needs GitLab CI's or GitHub Actions' variables");
}

}  // namespace conveyor::ci
