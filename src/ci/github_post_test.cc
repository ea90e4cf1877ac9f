// PostReport against the local fake of GitHub's API (testing/fake_github.h)
// over real HTTP on 127.0.0.1, through the libcurl client.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ci/curl_http_client.h"
#include "ci/github_backend.h"
#include "ci/post_report.h"
#include "ci/testing/fake_clock.h"
#include "ci/testing/fake_github.h"

namespace conveyor::ci {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kToken = "ghs_VERY-secret-0002";
constexpr const char* kSha = "fedcba9876543210fedcba9876543210fedcba98";

class GitHubPostTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fake_.Start().ok()); }
  void TearDown() override { EXPECT_THAT(fake_.violations(), IsEmpty()); }

  CiContext Context(int64_t pr = 7) const {
    CiContext ctx;
    ctx.forge = Forge::kGitHub;
    ctx.api_url = fake_.base_url();
    ctx.server_url = "https://github.example";
    ctx.project = "octo/digits";
    ctx.project_path = "octo/digits";
    ctx.commit_sha = kSha;
    ctx.change_number = pr;
    ctx.token = Secret(kToken);
    ctx.token_variable = "GITHUB_TOKEN";
    return ctx;
  }

  Result<PostResult> Post(const CiContext& ctx, std::string_view markdown,
                          const PostOptions& options = {},
                          const std::vector<ReportImage>& images = {}) {
    Result<PostResult> result = PostReport(ctx, markdown, images, options, http_, clock_);
    if (!result.ok()) {
      EXPECT_THAT(result.status().message(), Not(HasSubstr(kToken)));
    }
    return result;
  }

  testing::FakeGitHub fake_{"octo/digits", {7}, kToken};
  CurlHttpClient http_;
  testing::FakeClock clock_;
};

TEST_F(GitHubPostTest, CreatesACommentOnThePullRequest) {
  Result<PostResult> posted = Post(Context(), "## Metrics");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_EQ(posted->target, "pull request #7");
  EXPECT_FALSE(posted->updated);
  EXPECT_EQ(posted->url, "https://github.example/octo/digits/pull/7#issuecomment-5000");
  ASSERT_EQ(fake_.issue_comments(7).size(), 1u);
  EXPECT_EQ(fake_.issue_comments(7)[0].body, "<!-- conveyor-report: default -->\n## Metrics");
  testing::RecordedCall call = fake_.calls().at(0);
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.target, "/repos/octo/digits/issues/7/comments");
  EXPECT_EQ(call.headers.at("authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(call.headers.at("accept"), "application/vnd.github+json");
  EXPECT_EQ(call.headers.at("x-github-api-version"), "2022-11-28");
  EXPECT_EQ(call.headers.at("content-type"), "application/json");
}

TEST_F(GitHubPostTest, UpdateFindsItsMarkerAcrossPages) {
  fake_.set_page_size(2);
  fake_.AddIssueComment(7, "nice");
  fake_.AddIssueComment(7, "<!-- conveyor-report: gpu -->\nother report");
  int64_t ours = fake_.AddIssueComment(7, "<!-- conveyor-report: default -->\nold");
  fake_.AddIssueComment(7, "thanks");
  fake_.AddIssueComment(7, "more");
  Result<PostResult> posted = Post(Context(), "new", {.update = true});
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_TRUE(posted->updated);
  EXPECT_EQ(posted->url,
            fmt::format("https://github.example/octo/digits/pull/7#issuecomment-{}", ours));
  EXPECT_EQ(fake_.issue_comments(7)[2].body, "<!-- conveyor-report: default -->\nnew");
  EXPECT_EQ(fake_.issue_comments(7)[1].body, "<!-- conveyor-report: gpu -->\nother report");
  EXPECT_THAT(fake_.routes(), ElementsAre("list_issue_comments", "list_issue_comments",
                                          "list_issue_comments", "update_issue_comment"));
  std::vector<testing::RecordedCall> calls = fake_.calls();
  EXPECT_EQ(calls[0].target, "/repos/octo/digits/issues/7/comments?per_page=100");
  EXPECT_EQ(calls[1].target, "/repos/octo/digits/issues/7/comments?per_page=2&page=2");
  EXPECT_EQ(calls[3].method, "PATCH");
  EXPECT_EQ(calls[3].target, fmt::format("/repos/octo/digits/issues/comments/{}", ours));
}

TEST_F(GitHubPostTest, WithoutAPullRequestPostsOnTheCommitAndUpdatesThere) {
  Result<PostResult> posted = Post(Context(0), "on the commit");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_EQ(posted->target, "commit fedcba9");
  EXPECT_EQ(fake_.calls()[0].target, fmt::format("/repos/octo/digits/commits/{}/comments", kSha));
  fake_.AddCommitComment(kSha, "unrelated");
  Result<PostResult> updated = Post(Context(0), "again", {.update = true});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_TRUE(updated->updated);
  EXPECT_EQ(updated->url, posted->url);
  EXPECT_EQ(fake_.commit_comments(kSha)[0].body, "<!-- conveyor-report: default -->\nagain");
  EXPECT_THAT(fake_.routes(), ElementsAre("create_commit_comment", "list_commit_comments",
                                          "update_commit_comment"));
  EXPECT_EQ(fake_.calls()[2].target, "/repos/octo/digits/comments/5000");
}

TEST_F(GitHubPostTest, ImagesAreCommittedToAnOrphanBranchAndLinked) {
  std::vector<ReportImage> images = {{"plots/confusion.png", std::string("\x89PNG\0\1\2", 7)}};
  Result<PostResult> posted = Post(Context(), "![cm](plots/confusion.png)", {}, images);
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_THAT(fake_.routes(), ElementsAre("get_ref", "create_tree", "create_commit", "create_ref",
                                          "get_contents", "put_contents", "create_issue_comment"));
  std::string file = fmt::format("{}/default/plots/confusion.png", kSha);
  std::map<std::string, testing::FakeFile> files = fake_.files();
  ASSERT_EQ(files.count("conveyor-reports:" + file), 1u);
  EXPECT_EQ(files["conveyor-reports:" + file].content, images[0].png);
  EXPECT_EQ(fake_.issue_comments(7)[0].body,
            fmt::format("<!-- conveyor-report: default -->\n![cm](https://github.example/octo/"
                        "digits/blob/conveyor-reports/{}?raw=true)",
                        file));
  EXPECT_EQ(fake_.calls()[0].target, "/repos/octo/digits/git/ref/heads/conveyor-reports");
  EXPECT_EQ(fake_.calls()[4].target,
            fmt::format("/repos/octo/digits/contents/{}?ref=conveyor-reports", file));

  // A second run on the same commit replaces the file (with its blob sha).
  Result<PostResult> again =
      Post(Context(), "![cm](plots/confusion.png)", {.update = true}, images);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  std::vector<std::string> routes = fake_.routes();
  EXPECT_THAT(std::vector<std::string>(routes.begin() + 7, routes.end()),
              ElementsAre("get_ref", "get_contents", "put_contents", "list_issue_comments",
                          "update_issue_comment"));
}

TEST_F(GitHubPostTest, NoImagesNeedsNoContentsPermission) {
  std::vector<ReportImage> images = {{"cm.png", "png"}};
  Result<PostResult> posted = Post(Context(), "![](cm.png)", {.upload_images = false}, images);
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_THAT(fake_.routes(), ElementsAre("create_issue_comment"));
  EXPECT_EQ(fake_.issue_comments(7)[0].body,
            "<!-- conveyor-report: default -->\n_cm.png (image cm.png not uploaded)_");
}

TEST_F(GitHubPostTest, BadCredentials) {
  CiContext ctx = Context();
  ctx.token = Secret("ghs_wrong");
  Result<PostResult> posted = Post(ctx, "x");
  EXPECT_EQ(posted.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(posted.status().message(),
            "GitHub rejected the token in GITHUB_TOKEN while creating the comment on pull request "
            "#7 (POST /repos/octo/digits/issues/7/comments: 401 Unauthorized: Bad credentials); it "
            "is invalid or expired; pass the job's secrets.GITHUB_TOKEN or a token with "
            "permissions: pull-requests: write");
}

TEST_F(GitHubPostTest, MissingPermissionNamesIt) {
  fake_.AnswerNext("get_ref", {403, R"({"message":"Resource not accessible by integration"})"});
  std::vector<ReportImage> images = {{"cm.png", "png"}};
  Result<PostResult> posted = Post(Context(), "![](cm.png)", {}, images);
  EXPECT_EQ(posted.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(posted.status().message(),
            "GitHub refused looking for the images branch conveyor-reports (GET "
            "/repos/octo/digits/git/ref/heads/conveyor-reports: 403 Forbidden: Resource not "
            "accessible by integration): the token in GITHUB_TOKEN needs permissions: contents: "
            "write to commit report images to branch conveyor-reports (or post without images)");
}

TEST_F(GitHubPostTest, UnknownRepositoryOrPullRequest) {
  Result<PostResult> posted = Post(Context(8), "x");
  EXPECT_EQ(posted.status().code(), Code::kNotFound);
  EXPECT_EQ(posted.status().message(),
            "GitHub found nothing while creating the comment on pull request #8 (POST "
            "/repos/octo/digits/issues/8/comments: 404 Not Found): repository octo/digits "
            "(GITHUB_REPOSITORY) or its pull request #8 does not exist, or the token cannot see "
            "it");
}

TEST_F(GitHubPostTest, ValidationFailedCarriesTheErrors) {
  fake_.AnswerNext("create_issue_comment",
                   {422,
                    R"json({"message":"Validation Failed","errors":[{"resource":"IssueComment",
                        "code":"custom","field":"body","message":"body is too long (maximum is 65536 characters)"}],
                        "status":"422"})json"});
  Result<PostResult> posted = Post(Context(), "x");
  EXPECT_EQ(posted.status().code(), Code::kInvalid);
  EXPECT_EQ(posted.status().message(),
            "GitHub rejected creating the comment on pull request #7 (POST "
            "/repos/octo/digits/issues/7/comments: 422 Unprocessable Entity: Validation Failed; "
            "body is too long (maximum is 65536 characters))");
}

TEST_F(GitHubPostTest, TooLongForAComment) {
  Result<PostResult> posted = Post(Context(), std::string(70'000, 'x'));
  EXPECT_EQ(posted.status().message(),
            "the report is 70034 characters with its marker and image links; a comment on pull "
            "request #7 holds at most 65536: shorten it (fewer rows or plots)");
  EXPECT_THAT(fake_.calls(), IsEmpty());
}

TEST_F(GitHubPostTest, PrimaryRateLimitWaitsForTheReset) {
  std::string reset = std::to_string(testing::FakeClock::kStart + 42);
  fake_.AnswerNext("create_issue_comment",
                   {403,
                    R"({"message":"API rate limit exceeded for installation ID 1."})",
                    {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", reset}}});
  Result<PostResult> posted = Post(Context(), "x");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(43)));
}

TEST_F(GitHubPostTest, SecondaryRateLimitAndTooManyRequests) {
  fake_.AnswerNext(
      "create_issue_comment",
      {403, R"({"message":"You have exceeded a secondary rate limit."})", {{"retry-after", "5"}}});
  fake_.AnswerNext("create_issue_comment",
                   {429, R"({"message":"Too many"})", {{"retry-after", "2"}}});
  Result<PostResult> posted = Post(Context(), "x");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(5), seconds(2)));
}

TEST_F(GitHubPostTest, RateLimitedToTheEnd) {
  fake_.AnswerNext("list_issue_comments",
                   {429, R"({"message":"Too many"})", {{"retry-after", "1"}}}, 4);
  Result<PostResult> posted = Post(Context(), "x", {.update = true});
  EXPECT_EQ(posted.status().code(), Code::kUnavailable);
  EXPECT_EQ(posted.status().message(),
            "GitHub rate limit hit while listing the comments of pull request #7 (GET "
            "/repos/octo/digits/issues/7/comments: 429 Too Many Requests: Too many): still "
            "limited after 4 attempts");
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(1), seconds(1), seconds(1)));
}

}  // namespace
}  // namespace conveyor::ci
