// PostReport against the local fake of GitLab's API (testing/fake_gitlab.h)
// over real HTTP on 127.0.0.1, through the libcurl client.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ci/curl_http_client.h"
#include "ci/post_report.h"
#include "ci/testing/fake_clock.h"
#include "ci/testing/fake_gitlab.h"

namespace conveyor::ci {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kToken = "glpat-VERY-secret-0001";
constexpr const char* kSha = "0123456789abcdef0123456789abcdef01234567";

class GitLabPostTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fake_.Start().ok()); }
  void TearDown() override { EXPECT_THAT(fake_.violations(), IsEmpty()); }

  CiContext Context(int64_t mr = 12) const {
    CiContext ctx;
    ctx.forge = Forge::kGitLab;
    ctx.api_url = fake_.api_url();
    ctx.server_url = "https://gitlab.example.com";
    ctx.project = "42";
    ctx.project_path = "ml/digits";
    ctx.commit_sha = kSha;
    ctx.change_number = mr;
    ctx.token = Secret(kToken);
    ctx.token_variable = "GITLAB_TOKEN";
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

  testing::FakeGitLab fake_{"42", {12}, kToken};
  CurlHttpClient http_;
  testing::FakeClock clock_;
};

TEST_F(GitLabPostTest, CreatesANoteOnTheMergeRequest) {
  Result<PostResult> posted = Post(Context(), "## Metrics\n| acc | 0.98 |\n");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_FALSE(posted->updated);
  EXPECT_EQ(posted->target, "merge request !12");
  EXPECT_EQ(posted->url, "https://gitlab.example.com/ml/digits/-/merge_requests/12#note_1000");
  ASSERT_EQ(fake_.notes(12).size(), 1u);
  EXPECT_EQ(fake_.notes(12)[0].body,
            "<!-- conveyor-report: default -->\n## Metrics\n| acc | 0.98 |\n");
  std::vector<testing::RecordedCall> calls = fake_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(calls[0].target, "/api/v4/projects/42/merge_requests/12/notes");
  EXPECT_EQ(calls[0].headers.at("private-token"), kToken);
  EXPECT_EQ(calls[0].headers.at("content-type"), "application/json");
  EXPECT_THAT(calls[0].headers.at("user-agent"), HasSubstr("conveyor/"));
}

TEST_F(GitLabPostTest, UpdateFindsItsMarkerAcrossPagesAmongOtherNotes) {
  fake_.set_page_size(2);
  fake_.AddNote(12, "LGTM");
  fake_.AddNote(12, "<!-- conveyor-report: other -->\nanother report");
  fake_.AddNote(12, "added 1 commit", /*system=*/true);
  int64_t ours = fake_.AddNote(12, "<!-- conveyor-report: default -->\nold report");
  fake_.AddNote(12, "> <!-- conveyor-report: default -->\nquoting it is not it");
  Result<PostResult> posted = Post(Context(), "new report", {.update = true});
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_TRUE(posted->updated);
  EXPECT_EQ(posted->url,
            fmt::format("https://gitlab.example.com/ml/digits/-/merge_requests/12#note_{}", ours));
  std::vector<testing::FakeNote> notes = fake_.notes(12);
  ASSERT_EQ(notes.size(), 5u);
  EXPECT_EQ(notes[3].body, "<!-- conveyor-report: default -->\nnew report");
  EXPECT_EQ(notes[1].body, "<!-- conveyor-report: other -->\nanother report");
  EXPECT_THAT(fake_.routes(),
              ElementsAre("list_mr_notes", "list_mr_notes", "list_mr_notes", "update_mr_note"));
  std::vector<testing::RecordedCall> calls = fake_.calls();
  EXPECT_EQ(
      calls[0].target,
      "/api/v4/projects/42/merge_requests/12/notes?sort=asc&order_by=created_at&per_page=100");
  EXPECT_EQ(calls[3].method, "PUT");
  EXPECT_EQ(calls[3].target, fmt::format("/api/v4/projects/42/merge_requests/12/notes/{}", ours));
}

TEST_F(GitLabPostTest, UpdateFollowsXNextPageWithoutLinkHeaders) {
  fake_.set_page_size(1);
  fake_.set_link_header(false);
  fake_.AddNote(12, "first");
  int64_t ours = fake_.AddNote(12, "<!-- conveyor-report: default -->\nold");
  Result<PostResult> posted = Post(Context(), "new", {.update = true});
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_TRUE(posted->updated);
  EXPECT_EQ(fake_.notes(12)[1].id, ours);
  EXPECT_EQ(fake_.notes(12)[1].body, "<!-- conveyor-report: default -->\nnew");
}

TEST_F(GitLabPostTest, UpdateWithoutAnEarlierReportCreates) {
  fake_.AddNote(12, "LGTM");
  Result<PostResult> posted = Post(Context(), "report", {.update = true, .report_id = "nightly"});
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_FALSE(posted->updated);
  EXPECT_EQ(fake_.notes(12).back().body, "<!-- conveyor-report: nightly -->\nreport");
  EXPECT_THAT(fake_.routes(), ElementsAre("list_mr_notes", "create_mr_note"));
}

TEST_F(GitLabPostTest, WithoutAMergeRequestPostsOnTheCommitAndUpdatesThere) {
  Result<PostResult> posted = Post(Context(0), "commit report");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_EQ(posted->target, "commit 01234567");
  EXPECT_EQ(posted->url,
            fmt::format("https://gitlab.example.com/ml/digits/-/commit/{}#note_1000", kSha));
  EXPECT_EQ(fake_.calls()[0].target,
            fmt::format("/api/v4/projects/42/repository/commits/{}/discussions", kSha));

  fake_.AddCommitNote(kSha, "someone else");
  Result<PostResult> updated = Post(Context(0), "second run", {.update = true});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_TRUE(updated->updated);
  EXPECT_EQ(updated->url, posted->url);
  std::vector<testing::FakeDiscussion> threads = fake_.discussions(kSha);
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0].notes[0].body, "<!-- conveyor-report: default -->\nsecond run");
  EXPECT_THAT(fake_.routes(), ElementsAre("create_commit_discussion", "list_commit_discussions",
                                          "update_commit_note"));
  EXPECT_EQ(fake_.calls()[2].target,
            fmt::format("/api/v4/projects/42/repository/commits/{}/discussions/{}/notes/1000", kSha,
                        threads[0].id));
}

TEST_F(GitLabPostTest, UploadsImagesAndRewritesTheirLinks) {
  std::vector<ReportImage> images = {{"plots/confusion.png", std::string("\x89PNG\r\n\x1a\n1", 9)},
                                     {"plots/roc.png", "\x89PNG-roc"},
                                     {"plots/unused.png", "x"}};
  std::string md =
      "![confusion](plots/confusion.png)\n![again](./plots/confusion.png)\n"
      "![roc](plots/roc.png \"ROC curve\")\n![logo](https://example.com/logo.png)\n";
  Result<PostResult> posted = Post(Context(), md, {}, images);
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  std::vector<testing::FakeUpload> uploads = fake_.uploads();
  ASSERT_EQ(uploads.size(), 2u);  // once each; the unused one not at all
  EXPECT_EQ(uploads[0].filename, "confusion.png");
  EXPECT_EQ(uploads[0].content_type, "image/png");
  EXPECT_EQ(uploads[0].data, images[0].png);
  EXPECT_EQ(uploads[1].filename, "roc.png");
  EXPECT_EQ(fake_.notes(12)[0].body,
            fmt::format("<!-- conveyor-report: default -->\n![confusion]({0})\n![again]({0})\n"
                        "![roc]({1} \"ROC curve\")\n![logo](https://example.com/logo.png)\n",
                        uploads[0].url, uploads[1].url));
  EXPECT_THAT(fake_.calls()[0].headers.at("content-type"),
              HasSubstr("multipart/form-data; boundary="));
}

TEST_F(GitLabPostTest, ImagesCanBeLeftOut) {
  std::vector<ReportImage> images = {{"plots/confusion.png", "png"}};
  Result<PostResult> posted =
      Post(Context(), "![confusion](plots/confusion.png)", {.upload_images = false}, images);
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_THAT(fake_.uploads(), IsEmpty());
  EXPECT_EQ(fake_.notes(12)[0].body,
            "<!-- conveyor-report: default -->\n_confusion (image plots/confusion.png not "
            "uploaded)_");
}

TEST_F(GitLabPostTest, AnImageTheReportNamesMustBeGiven) {
  std::vector<ReportImage> images = {{"plots/roc.png", "png"}};
  Result<PostResult> posted = Post(Context(), "# R\n\n![c](plots/confusion.png)", {}, images);
  EXPECT_EQ(posted.status().code(), Code::kInvalid);
  EXPECT_EQ(posted.status().message(),
            "report line 3: image plots/confusion.png is not among the report's images "
            "(plots/roc.png)");
  EXPECT_THAT(fake_.calls(), IsEmpty());
}

TEST_F(GitLabPostTest, BadReportId) {
  Result<PostResult> posted = Post(Context(), "x", {.report_id = "a b"});
  EXPECT_EQ(posted.status().message(),
            "report id \"a b\" is not 1-64 letters, digits, '.', '_' or '-'");
}

TEST_F(GitLabPostTest, BadToken) {
  CiContext ctx = Context();
  ctx.token = Secret("glpat-wrong");
  Result<PostResult> posted = Post(ctx, "x");
  EXPECT_EQ(posted.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(posted.status().message(),
            "GitLab rejected the token in GITLAB_TOKEN while creating the note on merge request "
            "!12 (POST /projects/42/merge_requests/12/notes: 401 Unauthorized); it is invalid, "
            "expired or revoked; use a project or personal access token with the api scope "
            "(CI_JOB_TOKEN cannot write notes)");
  EXPECT_THAT(posted.status().message(), Not(HasSubstr("glpat-wrong")));
}

TEST_F(GitLabPostTest, Forbidden) {
  fake_.AnswerNext("create_mr_note", {403, R"({"message":"403 Forbidden"})"});
  Result<PostResult> posted = Post(Context(), "x");
  EXPECT_EQ(posted.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(posted.status().message(),
            "GitLab refused creating the note on merge request !12 (POST "
            "/projects/42/merge_requests/12/notes: 403 Forbidden): the token in GITLAB_TOKEN needs "
            "the api scope and at least the Reporter role in ml/digits");
}

TEST_F(GitLabPostTest, UnknownProjectOrMergeRequest) {
  CiContext ctx = Context(99);
  Result<PostResult> posted = Post(ctx, "x");
  EXPECT_EQ(posted.status().code(), Code::kNotFound);
  EXPECT_EQ(posted.status().message(),
            "GitLab found nothing while creating the note on merge request !99 (POST "
            "/projects/42/merge_requests/99/notes: 404 Not Found: 404 Not found): project 42 "
            "(CI_PROJECT_ID) or its merge request !99 (CI_MERGE_REQUEST_IID) does not exist, or "
            "the token cannot see it");
  ctx = Context();
  ctx.project = "7";
  EXPECT_EQ(Post(ctx, "x", {.update = true}).status().message(),
            "GitLab found nothing while listing the notes of merge request !12 (GET "
            "/projects/7/merge_requests/12/notes: 404 Not Found: 404 Project Not Found): project 7 "
            "(CI_PROJECT_ID) or its merge request !12 (CI_MERGE_REQUEST_IID) does not exist, or "
            "the token cannot see it");
}

TEST_F(GitLabPostTest, ValidationErrorCarriesTheApiMessage) {
  fake_.AnswerNext(
      "create_mr_note",
      {400, R"json({"message":{"note":["is too long (maximum is 1000000 characters)"]}})json"});
  Result<PostResult> posted = Post(Context(), "x");
  EXPECT_EQ(posted.status().code(), Code::kInvalid);
  EXPECT_EQ(posted.status().message(),
            "GitLab rejected creating the note on merge request !12 (POST "
            "/projects/42/merge_requests/12/notes: 400 Bad Request: note is too long (maximum is "
            "1000000 characters))");
}

TEST_F(GitLabPostTest, RateLimitIsRetriedAfterRetryAfter) {
  fake_.AnswerNext("create_mr_note", {429, R"({"message":"Retry later"})", {{"Retry-After", "7"}}},
                   2);
  Result<PostResult> posted = Post(Context(), "x");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(7), seconds(7)));
  EXPECT_EQ(fake_.notes(12).size(), 1u);
}

TEST_F(GitLabPostTest, RateLimitTooLongToWait) {
  fake_.AnswerNext("create_mr_note",
                   {429, R"({"message":"Retry later"})", {{"Retry-After", "3600"}}});
  Result<PostResult> posted = Post(Context(), "x");
  EXPECT_EQ(posted.status().code(), Code::kUnavailable);
  EXPECT_EQ(posted.status().message(),
            "GitLab rate limit hit while creating the note on merge request !12 (POST "
            "/projects/42/merge_requests/12/notes: 429 Too Many Requests: Retry later): the limit "
            "resets in 3600 s, longer than conveyor waits (120 s); post again later");
  EXPECT_THAT(clock_.sleeps(), IsEmpty());
}

TEST_F(GitLabPostTest, ServerErrorThenSuccess) {
  fake_.AnswerNext("create_mr_note", {500, R"({"message":"500 Internal Server Error"})"});
  fake_.AnswerNext("create_mr_note", {502, "<html>bad gateway</html>"});
  Result<PostResult> posted = Post(Context(), "x");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(1), seconds(2)));
  EXPECT_THAT(fake_.routes(), ElementsAre("create_mr_note", "create_mr_note", "create_mr_note"));
}

TEST_F(GitLabPostTest, ServerErrorsGiveUpAfterFourAttempts) {
  fake_.AnswerNext("create_mr_note", {503, R"({"message":"503 Service Unavailable"})"}, 4);
  Result<PostResult> posted = Post(Context(), "x");
  EXPECT_EQ(posted.status().code(), Code::kUnavailable);
  EXPECT_EQ(posted.status().message(),
            "GitLab failed while creating the note on merge request !12 (POST "
            "/projects/42/merge_requests/12/notes: 503 Service Unavailable) after 4 attempts");
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(1), seconds(2), seconds(4)));
  EXPECT_TRUE(fake_.notes(12).empty());
}

TEST_F(GitLabPostTest, AnEchoedTokenIsRedacted) {
  fake_.AnswerNext("create_mr_note",
                   {422, fmt::format(R"({{"message":"token {} is not allowed here"}})", kToken)});
  Result<PostResult> posted = Post(Context(), "x");
  EXPECT_EQ(posted.status().message(),
            "GitLab rejected creating the note on merge request !12 (POST "
            "/projects/42/merge_requests/12/notes: 422 Unprocessable Entity: token <redacted> is "
            "not allowed here)");
}

TEST_F(GitLabPostTest, UnreachableServer) {
  CiContext ctx = Context();
  ctx.api_url = "http://127.0.0.1:1/api/v4";  // nothing listens on port 1
  Result<PostResult> posted = Post(ctx, "x", {.retry = {.max_attempts = 2}});
  EXPECT_EQ(posted.status().code(), Code::kUnavailable);
  EXPECT_THAT(posted.status().message(),
              HasSubstr("GitLab unreachable while creating the note on merge request !12: POST "
                        "http://127.0.0.1:1/api/v4/projects/42/merge_requests/12/notes: "));
  EXPECT_THAT(posted.status().message(), HasSubstr(" after 2 attempts"));
  EXPECT_THAT(clock_.sleeps(), ElementsAre(seconds(1)));
}

}  // namespace
}  // namespace conveyor::ci
