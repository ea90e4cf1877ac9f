// Starting pipelines against the local fakes of GitLab's and GitHub's APIs
// over real HTTP on 127.0.0.1, through the libcurl client.
#include "ci/pipeline_trigger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ci/curl_http_client.h"
#include "ci/testing/fake_clock.h"
#include "ci/testing/fake_github.h"
#include "ci/testing/fake_gitlab.h"

namespace conveyor::ci {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kTrigger = "glptt-trigger-SECRET-0001";
constexpr const char* kGitHubToken = "ghp_SECRET_token_0002";

TEST(ParsePipelineTargetTest, Table) {
  auto gitlab = ParsePipelineTarget("gitlab:42@release");
  ASSERT_TRUE(gitlab.ok());
  EXPECT_EQ(gitlab->forge, Forge::kGitLab);
  EXPECT_EQ(gitlab->project, "42");
  EXPECT_EQ(gitlab->ref, "release");
  EXPECT_EQ(gitlab->api_url, "https://gitlab.com/api/v4");
  auto path = ParsePipelineTarget("gitlab:ml/digits", "https://git.example.com/api/v4/");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->project, "ml/digits");
  EXPECT_EQ(path->ref, "main");
  EXPECT_EQ(path->api_url, "https://git.example.com/api/v4");
  EXPECT_EQ(path->Describe(), "GitLab project ml/digits on main");
  auto github = ParsePipelineTarget("github:acme/digits/retrain.yml@main");
  ASSERT_TRUE(github.ok());
  EXPECT_EQ(github->project, "acme/digits");
  EXPECT_EQ(github->workflow, "retrain.yml");
  EXPECT_EQ(github->api_url, "https://api.github.com");
  EXPECT_EQ(github->Describe(), "GitHub workflow retrain.yml of acme/digits on main");

  for (const char* bad : {"jenkins:x", "gitlab:", "gitlab:42@", "github:acme/retrain.yml",
                          "github:acme/digits/", "github:a/b/c/d.yml"}) {
    auto parsed = ParsePipelineTarget(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), Code::kUsage);
    EXPECT_THAT(parsed.status().message(), HasSubstr(std::string("'") + bad + "'"));
  }
  EXPECT_EQ(ParsePipelineTarget("gitlab:1", "gitlab.example.com").status().code(), Code::kUsage);
  // The token goes with every call: plain HTTP only to this machine.
  EXPECT_EQ(ParsePipelineTarget("gitlab:1", "http://gitlab.example.com/api/v4").status().code(),
            Code::kUsage);
  EXPECT_TRUE(ParsePipelineTarget("gitlab:1", "http://127.0.0.1:8080/api/v4").ok());
}

TEST(PipelineContextTest, TokensComeFromTheEnvironment) {
  auto gitlab = *ParsePipelineTarget("gitlab:42");
  auto context = PipelineContext(gitlab, MapEnvironment({{"CONVEYOR_GITLAB_TRIGGER_TOKEN", "t"}}));
  ASSERT_TRUE(context.ok());
  EXPECT_EQ(context->token_variable, "CONVEYOR_GITLAB_TRIGGER_TOKEN");
  EXPECT_EQ(context->server_url, "https://gitlab.com");
  auto missing = PipelineContext(gitlab, MapEnvironment({{"GITLAB_TOKEN", "personal"}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(missing.status().message(), HasSubstr("set CONVEYOR_GITLAB_TRIGGER_TOKEN"));

  auto github = *ParsePipelineTarget("github:a/b/w.yml");
  auto fallback = PipelineContext(github, MapEnvironment({{"GITHUB_TOKEN", "g"}}));
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->token_variable, "GITHUB_TOKEN");
  auto none = PipelineContext(github, MapEnvironment({}));
  EXPECT_THAT(
      none.status().message(),
      HasSubstr("set CONVEYOR_GITHUB_TOKEN or GITHUB_TOKEN to a token with actions: write"));
}

class GitLabTriggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.set_trigger_token(kTrigger);
    ASSERT_TRUE(fake_.Start().ok());
    target_ = *ParsePipelineTarget("gitlab:42@main", fake_.api_url());
  }
  void TearDown() override { EXPECT_THAT(fake_.violations(), IsEmpty()); }

  Result<StartedPipeline> Start(const std::string& token) {
    auto context =
        PipelineContext(target_, MapEnvironment({{"CONVEYOR_GITLAB_TRIGGER_TOKEN", token}}));
    EXPECT_TRUE(context.ok());
    ForgeApi api(*context, http_, clock_);
    auto started = StartPipeline(api, target_, {{"CONVEYOR_RETRAIN_ALERT", "Drift"}});
    if (!started.ok()) {
      EXPECT_THAT(started.status().message(), Not(HasSubstr(token)));
    }
    return started;
  }

  testing::FakeGitLab fake_{"42", {}, "glpat-other"};
  CurlHttpClient http_;
  testing::FakeClock clock_;
  PipelineTarget target_;
};

TEST_F(GitLabTriggerTest, StartsAPipelineWithTheVariables) {
  auto started = Start(kTrigger);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->id, "1000");
  EXPECT_EQ(started->url, fake_.base_url() + "/group/app/-/pipelines/1000");
  ASSERT_EQ(fake_.pipelines().size(), 1u);
  EXPECT_EQ(fake_.pipelines()[0].ref, "main");
  EXPECT_EQ(fake_.pipelines()[0].variables.at("CONVEYOR_RETRAIN_ALERT"), "Drift");
  EXPECT_EQ(fake_.calls()[0].target, "/api/v4/projects/42/trigger/pipeline");
}

TEST_F(GitLabTriggerTest, AWrongTokenIsNamedNeverShown) {
  auto started = Start("glptt-wrong-SECRET");
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), Code::kNotFound);
  EXPECT_THAT(started.status().message(),
              HasSubstr("GitLab found nothing while starting a pipeline of project 42 on main"));
  EXPECT_THAT(started.status().message(),
              HasSubstr("CONVEYOR_GITLAB_TRIGGER_TOKEN holds one of its pipeline trigger tokens"));
  EXPECT_TRUE(fake_.pipelines().empty());
}

TEST_F(GitLabTriggerTest, ServerErrorsAreRetried) {
  fake_.AnswerNext("trigger_pipeline", {.status = 502}, 2);
  auto started = Start(kTrigger);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(fake_.calls().size(), 3u);
  EXPECT_EQ(fake_.pipelines().size(), 1u);
}

TEST(GitHubDispatchTest, DispatchesTheWorkflowOnItsRef) {
  testing::FakeGitHub fake("acme/digits", {}, kGitHubToken);
  fake.AddWorkflow("retrain.yml");
  fake.AddBranch("main");
  ASSERT_TRUE(fake.Start().ok());
  CurlHttpClient http;
  testing::FakeClock clock;
  auto target = *ParsePipelineTarget("github:acme/digits/retrain.yml@main", fake.base_url());
  auto context = PipelineContext(target, MapEnvironment({{"GITHUB_TOKEN", kGitHubToken}}));
  ASSERT_TRUE(context.ok());
  ForgeApi api(*context, http, clock);
  auto started = StartPipeline(api, target, {{"CONVEYOR_RETRAIN_ALERT", "Drift"}});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->url, fake.base_url() + "/acme/digits/actions/workflows/retrain.yml");
  EXPECT_EQ(fake.dispatches(), std::vector<std::string>{"retrain.yml@main"});
  EXPECT_EQ(fake.calls()[0].body, R"({"ref":"main"})");

  auto missing = *ParsePipelineTarget("github:acme/digits/nightly.yml@main", fake.base_url());
  auto not_found = StartPipeline(api, missing, {});
  ASSERT_FALSE(not_found.ok());
  EXPECT_THAT(not_found.status().message(),
              HasSubstr("check the repository (acme/digits), the workflow file (nightly.yml)"));
  auto branch = *ParsePipelineTarget("github:acme/digits/retrain.yml@nope", fake.base_url());
  auto bad_ref = StartPipeline(api, branch, {});
  ASSERT_FALSE(bad_ref.ok());
  EXPECT_EQ(bad_ref.status().code(), Code::kInvalid);
  EXPECT_THAT(bad_ref.status().message(), HasSubstr("No ref found for: nope"));
  EXPECT_THAT(fake.violations(), IsEmpty());
}

}  // namespace
}  // namespace conveyor::ci
