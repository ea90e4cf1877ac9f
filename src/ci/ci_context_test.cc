#include "ci/ci_context.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace conveyor::ci {
namespace {

constexpr const char* kToken = "glpat-VERY-secret-0001";

using Env = std::map<std::string, std::string, std::less<>>;

Env GitLabMergeRequest() {
  return {{"GITLAB_CI", "true"},
          {"CI_SERVER_URL", "https://gitlab.example.com/"},
          {"CI_API_V4_URL", "https://gitlab.example.com/api/v4"},
          {"CI_PROJECT_ID", "42"},
          {"CI_PROJECT_PATH", "ml/digits"},
          {"CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"},
          {"CI_MERGE_REQUEST_IID", "12"},
          {"GITLAB_TOKEN", kToken},
          {"CI_JOB_TOKEN", "job-token"}};
}

Env GitHubPush() {
  return {{"GITHUB_ACTIONS", "true"},
          {"GITHUB_REPOSITORY", "octo/digits"},
          {"GITHUB_SHA", "fedcba9876543210fedcba9876543210fedcba98"},
          {"GITHUB_EVENT_NAME", "push"},
          {"GITHUB_REF", "refs/heads/main"},
          {"GITHUB_TOKEN", kToken}};
}

TEST(CiContextTest, GitLabMergeRequestPipeline) {
  Result<CiContext> ctx = DetectCiContext(MapEnvironment(GitLabMergeRequest()));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->forge, Forge::kGitLab);
  EXPECT_EQ(ctx->api_url, "https://gitlab.example.com/api/v4");
  EXPECT_EQ(ctx->server_url, "https://gitlab.example.com");
  EXPECT_EQ(ctx->project, "42");
  EXPECT_EQ(ctx->project_path, "ml/digits");
  EXPECT_EQ(ctx->change_number, 12);
  EXPECT_EQ(ctx->token.Reveal(), kToken);
  EXPECT_EQ(ctx->token_variable, "GITLAB_TOKEN");
}

TEST(CiContextTest, GitLabBranchPipelinePostsOnTheCommit) {
  Env env = GitLabMergeRequest();
  env.erase("CI_MERGE_REQUEST_IID");
  env.erase("CI_API_V4_URL");
  env["CONVEYOR_GITLAB_TOKEN"] = "glpat-conveyor";
  Result<CiContext> ctx = DetectCiContext(MapEnvironment(env));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->change_number, 0);
  EXPECT_EQ(ctx->api_url, "https://gitlab.example.com/api/v4");  // from CI_SERVER_URL
  EXPECT_EQ(ctx->token_variable, "CONVEYOR_GITLAB_TOKEN");       // preferred over GITLAB_TOKEN
}

TEST(CiContextTest, GitLabMissingVariablesAreNamed) {
  Env env = GitLabMergeRequest();
  env.erase("CI_PROJECT_ID");
  EXPECT_EQ(DetectCiContext(MapEnvironment(env)).status().message(),
            "GitLab CI: CI_PROJECT_ID is not set; it gives the project to post the report in");
  env = GitLabMergeRequest();
  env["CI_MERGE_REQUEST_IID"] = "12a";
  EXPECT_EQ(DetectCiContext(MapEnvironment(env)).status().message(),
            "GitLab CI: CI_MERGE_REQUEST_IID is \"12a\", not a merge request number");
  env = GitLabMergeRequest();
  env["CI_COMMIT_SHA"] = "";  // empty counts as unset
  EXPECT_EQ(DetectCiContext(MapEnvironment(env)).status().message(),
            "GitLab CI: CI_COMMIT_SHA is not set; it gives the commit the report is about");
}

TEST(CiContextTest, GitLabWithoutTokenSaysWhatToSetAndIgnoresTheJobToken) {
  Env env = GitLabMergeRequest();
  env.erase("GITLAB_TOKEN");
  Status status = DetectCiContext(MapEnvironment(env)).status();
  EXPECT_EQ(status.code(), Code::kPermissionDenied);
  EXPECT_EQ(status.message(),
            "GitLab CI: no token to post with: set CONVEYOR_GITLAB_TOKEN or GITLAB_TOKEN (a masked "
            "CI variable) to a project or personal access token with the api scope and at least "
            "the Reporter role; CI_JOB_TOKEN cannot write notes");
}

TEST(CiContextTest, GitHubPushPostsOnTheCommit) {
  Result<CiContext> ctx = DetectCiContext(MapEnvironment(GitHubPush()));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->forge, Forge::kGitHub);
  EXPECT_EQ(ctx->api_url, "https://api.github.com");
  EXPECT_EQ(ctx->server_url, "https://github.com");
  EXPECT_EQ(ctx->project, "octo/digits");
  EXPECT_EQ(ctx->commit_sha, "fedcba9876543210fedcba9876543210fedcba98");
  EXPECT_EQ(ctx->change_number, 0);
  EXPECT_EQ(ctx->token_variable, "GITHUB_TOKEN");
}

TEST(CiContextTest, GitHubPullRequestReadsTheEventFile) {
  conveyor::testing::TempDir dir;
  conveyor::testing::WriteFile(
      dir / "event.json",
      R"({"action": "synchronize", "number": 7, "pull_request": {"number": 7,
          "head": {"sha": "1111111111111111111111111111111111111111"}}})");
  Env env = GitHubPush();
  env["GITHUB_EVENT_NAME"] = "pull_request";
  env["GITHUB_EVENT_PATH"] = (dir / "event.json").string();
  env["GITHUB_REF"] = "refs/pull/7/merge";
  env["GITHUB_API_URL"] = "https://ghe.example.com/api/v3/";
  Result<CiContext> ctx = DetectCiContext(MapEnvironment(env));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->change_number, 7);
  // The PR's head, not GITHUB_SHA (the merge commit).
  EXPECT_EQ(ctx->commit_sha, "1111111111111111111111111111111111111111");
  EXPECT_EQ(ctx->api_url, "https://ghe.example.com/api/v3");
}

TEST(CiContextTest, GitHubPullRequestFallsBackOnTheRef) {
  Env env = GitHubPush();
  env["GITHUB_EVENT_NAME"] = "pull_request";
  env["GITHUB_EVENT_PATH"] = "/nonexistent/event.json";
  env["GITHUB_REF"] = "refs/pull/9/merge";
  Result<CiContext> ctx = DetectCiContext(MapEnvironment(env));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->change_number, 9);
  EXPECT_EQ(ctx->commit_sha, "fedcba9876543210fedcba9876543210fedcba98");

  env["GITHUB_REF"] = "refs/heads/feature";
  env.erase("GITHUB_EVENT_PATH");
  EXPECT_EQ(DetectCiContext(MapEnvironment(env)).status().message(),
            "pull_request event without a readable pull request number (nor GITHUB_REF "
            "refs/pull/N/merge): GitHub Actions: GITHUB_EVENT_PATH is not set");
}

TEST(CiContextTest, GitHubErrors) {
  Env env = GitHubPush();
  env["GITHUB_REPOSITORY"] = "digits";
  EXPECT_EQ(DetectCiContext(MapEnvironment(env)).status().message(),
            "GitHub Actions: GITHUB_REPOSITORY is \"digits\", not owner/repo");
  env = GitHubPush();
  env.erase("GITHUB_TOKEN");
  EXPECT_EQ(DetectCiContext(MapEnvironment(env)).status().message(),
            "GitHub Actions: no token to post with: pass the job's token to the step (env: "
            "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}) with permissions pull-requests: write and "
            "contents: write, or set CONVEYOR_GITHUB_TOKEN");
  env = GitHubPush();
  env["CONVEYOR_GITHUB_TOKEN"] = "ghp_other";
  EXPECT_EQ(DetectCiContext(MapEnvironment(env))->token_variable, "CONVEYOR_GITHUB_TOKEN");
}

TEST(CiContextTest, NeitherOrBothForges) {
  EXPECT_EQ(DetectCiContext(MapEnvironment({})).status().message(),
            "not in a CI job: neither GITLAB_CI nor GITHUB_ACTIONS is \"true\"; posting a report "
            "needs GitLab CI's or GitHub Actions' variables");
  Env env = GitLabMergeRequest();
  env["GITHUB_ACTIONS"] = "true";
  EXPECT_EQ(DetectCiContext(MapEnvironment(env)).status().message(),
            "both GITLAB_CI and GITHUB_ACTIONS are \"true\"; unset the one that does not describe "
            "this job");
}

TEST(CiContextTest, NoErrorMentionsTheToken) {
  std::vector<std::string> drop = {"CI_SERVER_URL", "CI_PROJECT_ID", "CI_PROJECT_PATH",
                                   "CI_COMMIT_SHA"};
  for (const std::string& name : drop) {
    Env env = GitLabMergeRequest();
    env.erase(name);
    Status status = DetectCiContext(MapEnvironment(env)).status();
    ASSERT_FALSE(status.ok()) << name;
    EXPECT_EQ(status.message().find(kToken), std::string::npos) << status.message();
  }
}

}  // namespace
}  // namespace conveyor::ci
