// End-to-end: `conveyor plots show` on a pipeline that writes its own plot
// data, through the real binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::WriteFile;

class PlotsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto init = RunConveyor(dir_.path(), "init --no-scm");
    ASSERT_EQ(init.exit_code, 0) << init.err;
    // One stage writes a loss curve (CSV) and predictions (JSON) for a
    // confusion matrix; the top-level entry draws both loss columns.
    WriteFile(dir_ / "dvc.yaml",
              "stages:\n"
              "  evaluate:\n"
              "    cmd: >-\n"
              "      mkdir -p plots &&\n"
              "      printf 'epoch,loss,val_loss\\n1,0.9,1.0\\n2,0.5,0.7\\n3,0.3,0.5\\n'\n"
              "      > plots/loss.csv &&\n"
              "      printf '[{\"actual\":\"cat\",\"predicted\":\"cat\"},"
              "{\"actual\":\"dog\",\"predicted\":\"cat\"},"
              "{\"actual\":\"dog\",\"predicted\":\"dog\"}]' > plots/confusion.json\n"
              "    plots:\n"
              "    - plots/loss.csv:\n"
              "        cache: false\n"
              "    - plots/confusion.json:\n"
              "        template: confusion\n"
              "        x: predicted\n"
              "        y: actual\n"
              "        cache: false\n"
              "plots:\n"  // two y fields: a top-level definition
              "- plots/loss.csv:\n"
              "    x: epoch\n"
              "    y: [loss, val_loss]\n");
  }

  testing::TempDir dir_;
};

TEST_F(PlotsE2eTest, ReproThenShowWritesImagesAndIndex) {
  auto repro = RunConveyor(dir_.path(), "repro");
  ASSERT_EQ(repro.exit_code, 0) << repro.err;
  auto show = RunConveyor(dir_.path(), "plots show -o out --json");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  nlohmann::json json = nlohmann::json::parse(show.out);
  EXPECT_EQ(json["index"], "out/index.html");
  EXPECT_EQ(json["errors"].size(), 0u);
  EXPECT_EQ(json["plots"]["plots/loss.csv"]["png"], "out/plots_loss.csv.png");
  EXPECT_EQ(json["plots"]["plots/loss.csv"]["svg"], "out/plots_loss.csv.svg");
  EXPECT_EQ(json["plots"]["plots/confusion.json"]["png"], "out/plots_confusion.json.png");
  for (const char* file : {"out/plots_loss.csv.png", "out/plots_loss.csv.svg",
                           "out/plots_confusion.json.png", "out/plots_confusion.json.svg"}) {
    EXPECT_TRUE(fs::file_size(dir_ / file) > 100) << file;
  }
  EXPECT_EQ(ReadFile(dir_ / "out/plots_loss.csv.png").substr(1, 3), "PNG");
  std::string html = ReadFile(dir_ / "out/index.html");
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(html.find("src=\"plots_loss.csv.png\""), std::string::npos);
  EXPECT_NE(html.find("href=\"plots_confusion.json.svg\""), std::string::npos);
}

TEST_F(PlotsE2eTest, ABrokenFileIsNamedAndTheOthersStillRender) {
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  WriteFile(dir_ / "plots/loss.csv", "epoch,loss,val_loss\n1,0.9\n");
  auto show = RunConveyor(dir_.path(), "plots show");
  EXPECT_EQ(show.exit_code, 1);
  EXPECT_NE(show.err.find("conveyor: warning: plots/loss.csv:2: expected 3 fields, found 2"),
            std::string::npos)
      << show.err;
  EXPECT_NE(show.err.find("conveyor: error: 1 of 2 plots failed"), std::string::npos) << show.err;
  EXPECT_TRUE(fs::exists(dir_ / "dvc_plots/plots_confusion.json.png"));
  EXPECT_TRUE(fs::exists(dir_ / "dvc_plots/index.html"));
  EXPECT_NE(show.out.find("dvc_plots/index.html"), std::string::npos);
}

TEST_F(PlotsE2eTest, UnknownTemplateIsAUsageError) {
  auto show = RunConveyor(dir_.path(), "plots show -t confuson");
  EXPECT_EQ(show.exit_code, 2);
  EXPECT_NE(show.err.find("unknown plot template 'confuson' (did you mean 'confusion'?)"),
            std::string::npos)
      << show.err;
}

}  // namespace
}  // namespace conveyor

namespace conveyor {
namespace {

TEST(PlotsDiffE2eTest, OverlaysACommittedRevisionOnTheWorkspace) {
  testing::TempDir dir;
  ASSERT_EQ(testing::Shell(dir.path(), "git init -q ."), 0);
  ASSERT_EQ(RunConveyor(dir.path(), "init").exit_code, 0);
  WriteFile(dir / "loss.csv", "epoch,loss\n1,0.9\n2,0.5\n3,0.3\n");
  WriteFile(dir / "dvc.yaml", "plots:\n- loss.csv:\n    x: epoch\n    y: loss\n");
  ASSERT_EQ(testing::Shell(dir.path(),
                           "git add -A && git -c user.name=a -c user.email=a@b "
                           "commit -qm one"),
            0);
  WriteFile(dir / "loss.csv", "epoch,loss\n1,0.8\n2,0.4\n3,0.1\n");

  auto show = RunConveyor(dir.path(), "plots show -o alone");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto diff = RunConveyor(dir.path(), "plots diff -o both --json");
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  nlohmann::json json = nlohmann::json::parse(diff.out);
  EXPECT_EQ(json["plots"]["loss.csv"]["png"], "both/loss.csv.png");
  // The overlay draws HEAD's line and a legend as well: not the same image.
  EXPECT_NE(ReadFile(dir / "both/loss.csv.png"), ReadFile(dir / "alone/loss.csv.png"));
  auto same = RunConveyor(dir.path(), "plots diff workspace -o same");
  ASSERT_EQ(same.exit_code, 0) << same.err;

  auto unknown = RunConveyor(dir.path(), "plots diff nosuchrev");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("nosuchrev"), std::string::npos) << unknown.err;
}

TEST(PlotsDiffE2eTest, NeedsGit) {
  testing::TempDir dir;
  ASSERT_EQ(RunConveyor(dir.path(), "init --no-scm").exit_code, 0);
  auto diff = RunConveyor(dir.path(), "plots diff");
  EXPECT_EQ(diff.exit_code, 1);
  EXPECT_NE(diff.err.find("plots diff compares Git revisions"), std::string::npos) << diff.err;
}

}  // namespace
}  // namespace conveyor
