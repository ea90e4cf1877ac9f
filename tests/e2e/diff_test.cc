// End-to-end: `conveyor metrics diff` and `conveyor params diff` between Git
// revisions and the workspace, through the real binary.
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using testing::ReadFile;
using testing::RunConveyor;
using testing::WriteFile;

constexpr char kCommit[] = "git add -A && git -c user.name=t -c user.email=t@t commit -qm ";

// A Git project whose one stage turns params into two metrics files:
// metrics.json (cache: false, committed) and scores.json (cached, so Git
// ignores it and HEAD's copy is only in the cache). Committed with lr 0.1 and
// epochs 3, then reproduced with lr 0.2 and epochs 4 in the workspace.
class DiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(testing::Shell(dir_.path(), "git init -q ."), 0);
    auto init = RunConveyor(dir_.path(), "init");
    ASSERT_EQ(init.exit_code, 0) << init.err;
    WriteFile(dir_ / "train.sh",
              "printf '{\"acc\": %s, \"loss\": 0.5, \"model\": \"%s\"}\\n' \"$1\" \"$3\" > "
              "metrics.json\nprintf '{\"auc\": %s}\\n' \"$2\" > scores.json\n");
    WriteFile(dir_ / "dvc.yaml",
              "stages:\n"
              "  train:\n"
              "    cmd: sh train.sh ${train.lr} ${train.epochs} ${model}\n"
              "    deps: [train.sh]\n"
              "    params: [train, model]\n"
              "    metrics:\n"
              "    - metrics.json:\n"
              "        cache: false\n"
              "    - scores.json\n");
    WriteParams("0.1", "3");
    Repro();
    ASSERT_EQ(testing::Shell(dir_.path(), std::string(kCommit) + "one"), 0);
    ASSERT_EQ(ReadFile(dir_ / ".gitignore"), "/scores.json\n");
    WriteParams("0.2", "4");
    Repro();
  }

  void WriteParams(const std::string& lr, const std::string& epochs) {
    WriteFile(dir_ / "params.yaml",
              "train:\n  lr: " + lr + "\n  epochs: " + epochs + "\nmodel: small\n");
  }

  void Repro() {
    auto repro = RunConveyor(dir_.path(), "repro");
    ASSERT_EQ(repro.exit_code, 0) << repro.err;
  }

  testing::TempDir dir_;
};

TEST_F(DiffTest, MetricsDiffAgainstTheWorkspace) {
  auto diff = RunConveyor(dir_.path(), "metrics diff");
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_EQ(diff.out,
            "Path          Metric  HEAD  workspace  Change\n"
            "metrics.json  acc     0.1   0.2        0.1\n"
            "scores.json   auc     3     4          1\n");
  EXPECT_EQ(diff.err, "");

  auto all = RunConveyor(dir_.path(), "metrics diff --all --no-path --md");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out,
            "| Metric | HEAD | workspace | Change |\n|---|---|---|---|\n"
            "| acc | 0.1 | 0.2 | 0.1 |\n"
            "| loss | 0.5 | 0.5 | 0.0 |\n"
            "| model | small | small | - |\n"
            "| auc | 3 | 4 | 1 |\n");
}

TEST_F(DiffTest, MetricsDiffJson) {
  auto diff = RunConveyor(dir_.path(), "metrics diff --json");
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_EQ(diff.out,
            "{\n"
            "  \"metrics.json\": {\n"
            "    \"acc\": {\n      \"old\": 0.1,\n      \"new\": 0.2,\n      \"diff\": 0.1\n    }\n"
            "  },\n"
            "  \"scores.json\": {\n"
            "    \"auc\": {\n      \"old\": 3,\n      \"new\": 4,\n      \"diff\": 1\n    }\n"
            "  }\n"
            "}\n");
}

TEST_F(DiffTest, ParamsDiff) {
  auto diff = RunConveyor(dir_.path(), "params diff");
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_EQ(diff.out,
            "Path         Param         HEAD  workspace\n"
            "params.yaml  train.epochs  3     4\n"
            "params.yaml  train.lr      0.1   0.2\n");
  auto json = RunConveyor(dir_.path(), "params diff HEAD workspace --json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out,
            "{\n  \"params.yaml\": {\n"
            "    \"train.epochs\": {\n      \"old\": 3,\n      \"new\": 4\n    },\n"
            "    \"train.lr\": {\n      \"old\": 0.1,\n      \"new\": 0.2\n    }\n"
            "  }\n}\n");
}

TEST_F(DiffTest, BetweenTwoCommits) {
  ASSERT_EQ(testing::Shell(dir_.path(), std::string(kCommit) + "two"), 0);
  auto diff = RunConveyor(dir_.path(), "metrics diff HEAD~1 HEAD");
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_EQ(diff.out,
            "Path          Metric  HEAD~1  HEAD  Change\n"
            "metrics.json  acc     0.1     0.2   0.1\n"
            "scores.json   auc     3       4     1\n");
  auto params = RunConveyor(dir_.path(), "params diff HEAD~1");  // vs the workspace
  ASSERT_EQ(params.exit_code, 0) << params.err;
  EXPECT_EQ(params.out,
            "Path         Param         HEAD~1  workspace\n"
            "params.yaml  train.epochs  3       4\n"
            "params.yaml  train.lr      0.1     0.2\n");

  // Nothing changed since HEAD: no table, a note.
  auto same = RunConveyor(dir_.path(), "metrics diff");
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(same.out, "");
  EXPECT_EQ(same.err, "No changes in metrics between HEAD and workspace.\n");
}

TEST_F(DiffTest, AMissingMetricsFileIsAWarning) {
  // A metrics file declared in the workspace only, and not yet written.
  WriteFile(dir_ / "dvc.yaml", "metrics:\n- extra.json\n" + ReadFile(dir_ / "dvc.yaml"));
  auto diff = RunConveyor(dir_.path(), "metrics diff");
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_EQ(diff.err, "conveyor: warning: workspace: 'extra.json' does not exist\n");
  EXPECT_EQ(diff.out,
            "Path          Metric  HEAD  workspace  Change\n"
            "metrics.json  acc     0.1   0.2        0.1\n"
            "scores.json   auc     3     4          1\n");
}

TEST_F(DiffTest, UnknownRevision) {
  auto diff = RunConveyor(dir_.path(), "metrics diff nope");
  EXPECT_EQ(diff.exit_code, 1);
  EXPECT_EQ(diff.err,
            "conveyor: error: unknown revision 'nope': no branch, tag or commit has that name\n");
}

TEST(DiffNoGitTest, RevisionsNeedGit) {
  testing::TempDir dir;
  ASSERT_EQ(RunConveyor(dir.path(), "init --no-scm").exit_code, 0);
  WriteFile(dir / "dvc.yaml", "metrics:\n- m.json\n");
  for (const char* command : {"metrics diff", "params diff"}) {
    auto diff = RunConveyor(dir.path(), command);
    EXPECT_EQ(diff.exit_code, 1);
    EXPECT_EQ(diff.err, "conveyor: error: " + std::string(command) +
                            " compares Git revisions, but " + dir.path().string() +
                            " is not in a Git repository (comparing the workspace with itself "
                            "would show nothing)\n");
  }
}

}  // namespace
}  // namespace conveyor
