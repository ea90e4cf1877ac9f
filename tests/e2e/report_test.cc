// End-to-end: `conveyor report` on the digits example in a merge request's
// situation — main has one run, the feature branch changes a param and
// runs again — as Markdown, HTML and JSON, and posted with --post to a
// local fake of GitLab's API (src/ci/testing/fake_gitlab.h) as a CI job
// would: created, then updated in place, its plot images uploaded.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "ci/testing/fake_gitlab.h"
#include "testing/cli_runner.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;

constexpr const char* kCommit = "git -c user.name=a -c user.email=a@b commit -qm";

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // main: the example trained once, its results committed.
    testing::TrainDigitsProject(CONVEYOR_SOURCE_DIR, dir_.path(), env_);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_EQ(Shell(dir_.path(),
                    "git branch -M main && git add -A && " + std::string(kCommit) + " 'run 1'"),
              0);
    // feature: shallower trees, committed, then run (so the run's
    // experiment is recorded for the branch's commit, as in CI).
    ASSERT_EQ(Shell(dir_.path(),
                    "git checkout -qb feature && sed -i "
                    "'s/max_depth: .*/max_depth: 3/' params.yaml && git add -A && " +
                        std::string(kCommit) + " 'depth 3'"),
              0);
    auto repro = RunConveyor(dir_.path(), "repro", env_);
    ASSERT_EQ(repro.exit_code, 0) << repro.err;
  }

  testing::TempDir dir_;
  std::string env_;
};

TEST_F(ReportTest, MarkdownHtmlJsonAndPostedToGitLab) {
  auto md = RunConveyor(dir_.path(), "report", env_);
  ASSERT_EQ(md.exit_code, 0) << md.err;
  // The run, the baseline, the metric and param that changed, the plots,
  // the model version the run registered.
  EXPECT_NE(md.out.find(" succeeded\n\nCommit `"), std::string::npos) << md.out;
  // The run dirtied the work tree (dvc.lock, metrics.json), and the report says so.
  EXPECT_NE(md.out.find("` on `feature` with uncommitted changes, compared with `main` (`"),
            std::string::npos);
  EXPECT_NE(md.out.find("| Path | Metric | main | workspace | Change |"), std::string::npos);
  EXPECT_NE(md.out.find("| metrics.json | accuracy | "), std::string::npos);
  EXPECT_NE(md.out.find("| params.yaml | train.max_depth | 4 | 3 |"), std::string::npos);
  EXPECT_NE(md.out.find("![plots/confusion.json](plots_confusion.json.png)"), std::string::npos);
  EXPECT_NE(md.out.find("| digits | 2 | `"), std::string::npos) << md.out;
  EXPECT_EQ(ReadFile(dir_ / "conveyor_report/report.md"), md.out);
  EXPECT_TRUE(fs::exists(dir_ / "conveyor_report/plots_confusion.json.png"));

  auto html = RunConveyor(dir_.path(), "report --html -o out", env_);
  ASSERT_EQ(html.exit_code, 0) << html.err;
  const std::string page = ReadFile(dir_ / "out/report.html");
  EXPECT_NE(page.find("<img alt=\"plots/confusion.json\" src=\"data:image/png;base64,iVBORw0KGgo"),
            std::string::npos);

  auto json = RunConveyor(dir_.path(), "report --json", env_);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json facts = nlohmann::json::parse(json.out);
  EXPECT_EQ(facts["baseline"], "main");
  EXPECT_EQ(facts["branch"], "feature");
  EXPECT_EQ(facts["params"]["params.yaml"]["train.max_depth"]["new"], 3);
  EXPECT_EQ(facts["models"][0]["version"], 2);

  // A merge request pipeline on GitLab, against the fake API.
  ci::testing::FakeGitLab gitlab("42", {7}, "glpat-secret-token");
  ASSERT_TRUE(gitlab.Start().ok());
  const std::string ci_env = env_ + "GITLAB_CI=true CI_API_V4_URL=" + gitlab.api_url() +
                             " CI_SERVER_URL=" + gitlab.base_url() +
                             " CI_PROJECT_ID=42 CI_PROJECT_PATH=group/digits"
                             " CI_MERGE_REQUEST_IID=7 CI_COMMIT_SHA=$(git rev-parse HEAD)"
                             " CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main"
                             " CI_PIPELINE_URL=" +
                             gitlab.base_url() +
                             "/group/digits/-/pipelines/9 GITLAB_TOKEN=glpat-secret-token ";
  auto posted = RunConveyor(dir_.path(), "report --post", ci_env);
  ASSERT_EQ(posted.exit_code, 0) << posted.err;
  EXPECT_NE(posted.err.find("Report posted on merge request !7: "), std::string::npos)
      << posted.err;
  std::vector<ci::testing::FakeNote> notes = gitlab.notes(7);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].body.find("| params.yaml | train.max_depth | 4 | 3 |"), std::string::npos);
  EXPECT_NE(
      notes[0].body.find("- [Pipeline](" + gitlab.base_url() + "/group/digits/-/pipelines/9)"),
      std::string::npos);
  // Every image was uploaded and its link points at the upload.
  EXPECT_GE(gitlab.uploads().size(), 3u);
  EXPECT_EQ(notes[0].body.find("](plots_confusion.json.png)"), std::string::npos) << notes[0].body;
  for (const auto& upload : gitlab.uploads())
    EXPECT_NE(notes[0].body.find(upload.url), std::string::npos) << upload.url;

  // The next push updates the same comment.
  auto updated = RunConveyor(dir_.path(), "report --post --update", ci_env);
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_NE(updated.err.find("Report updated on merge request !7: "), std::string::npos)
      << updated.err;
  EXPECT_EQ(gitlab.notes(7).size(), 1u);
  EXPECT_TRUE(gitlab.violations().empty()) << ::testing::PrintToString(gitlab.violations());
  // The token appears nowhere in what the user sees.
  for (const std::string& output : {posted.out, posted.err, updated.out, updated.err})
    EXPECT_EQ(output.find("glpat-secret-token"), std::string::npos) << output;

  // A wrong token: one clear error, exit 1.
  auto refused =
      RunConveyor(dir_.path(), "report --post", ci_env + "CONVEYOR_GITLAB_TOKEN=wrong-token ");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("401"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("wrong-token"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace conveyor
