#include "plots/plots_show.h"

#include <gtest/gtest.h>

#include "pipeline/project.h"
#include "pipeline/workspace.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::WriteFile;

class PlotsShowTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Project::Init(dir_.path(), true, false).ok()); }

  Result<PlotsShowResult> Show(PlotsShowOptions options = {}) {
    auto project = Project::Open(dir_.path());
    EXPECT_TRUE(project.ok());
    auto workspace = Workspace::Load(*project);
    EXPECT_TRUE(workspace.ok()) << workspace.status().ToString();
    if (!workspace.ok())
      return workspace.status();
    options.out_dir = dir_ / "out";
    return ShowPlots(*workspace, {WorkspacePlotSource(dir_.path())}, options);
  }

  testing::TempDir dir_;
};

TEST_F(PlotsShowTest, RendersChartsCopiesImagesAndKeepsGoingPastErrors) {
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n"
            "  eval:\n"
            "    cmd: echo\n"
            "    plots:\n"
            "    - plots/loss.csv:\n"
            "        x: epoch\n"
            "    - plots/broken.json\n"
            "plots:\n"
            "- plots/cm.json:\n"
            "    template: confusion\n"
            "    x: predicted\n"
            "    y: actual\n"
            "- plots/pic.png\n"
            "- plots/missing.csv\n");
  WriteFile(dir_ / "plots/loss.csv", "epoch,loss\n1,0.9\n2,0.5\n3,0.3\n");
  WriteFile(dir_ / "plots/broken.json", "[{\"a\": 1},");
  WriteFile(dir_ / "plots/cm.json", R"([{"actual": "a", "predicted": "b"}])");
  WriteFile(dir_ / "plots/pic.png", "\x89PNG fake");
  auto result = Show();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->plots.size(), 5u);
  EXPECT_EQ(result->failed(), 2u);

  const PlotOutput& loss = result->plots[0];
  EXPECT_EQ(loss.id, "plots/loss.csv");
  EXPECT_EQ(loss.png, "plots_loss.csv.png");
  EXPECT_EQ(loss.svg, "plots_loss.csv.svg");
  EXPECT_EQ(ReadFile(dir_ / "out/plots_loss.csv.png").substr(1, 3), "PNG");
  EXPECT_TRUE(ReadFile(dir_ / "out/plots_loss.csv.svg").starts_with("<?xml"));

  EXPECT_EQ(result->plots[1].id, "plots/broken.json");
  EXPECT_NE(result->plots[1].error.find("plots/broken.json:1:11: invalid JSON"), std::string::npos)
      << result->plots[1].error;

  EXPECT_EQ(result->plots[2].id, "plots/cm.json");
  EXPECT_EQ(result->plots[2].error, "");
  EXPECT_TRUE(fs::exists(dir_ / "out/plots_cm.json.png"));

  const PlotOutput& pic = result->plots[3];
  EXPECT_TRUE(pic.image);
  ASSERT_EQ(pic.images.size(), 1u);
  EXPECT_EQ(pic.images[0].file, "plots_pic.png");
  EXPECT_EQ(ReadFile(dir_ / "out/plots_pic.png"), "\x89PNG fake");

  EXPECT_EQ(result->plots[4].error, "plots/missing.csv: file not found");

  std::string html = ReadFile(dir_ / "out/index.html");
  EXPECT_NE(html.find("plots_loss.csv.png"), std::string::npos);
  EXPECT_NE(html.find("plots_pic.png"), std::string::npos);
  EXPECT_NE(html.find("plots/missing.csv: file not found"), std::string::npos);

  nlohmann::ordered_json json = PlotsShowJson(*result, "out");
  EXPECT_EQ(json["index"], "out/index.html");
  EXPECT_EQ(json["plots"]["plots/loss.csv"]["png"], "out/plots_loss.csv.png");
  EXPECT_EQ(json["plots"]["plots/pic.png"]["images"][0]["path"], "out/plots_pic.png");
  EXPECT_EQ(json["plots"]["plots/missing.csv"]["error"], "plots/missing.csv: file not found");
}

TEST_F(PlotsShowTest, TargetsAndOverrides) {
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n  s:\n    cmd: echo\n    plots:\n    - a.csv\n    - b.csv\n");
  WriteFile(dir_ / "a.csv", "x,y\n1,2\n");
  WriteFile(dir_ / "b.csv", "x,y\n1,2\n");
  WriteFile(dir_ / "c.tsv", "x\ty\n1\t2\n");
  PlotsShowOptions options;
  options.targets = {"b.csv", "c.tsv"};
  options.overrides.x = "x";
  options.overrides.title = "Overridden";
  auto result = Show(options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->plots.size(), 2u);
  EXPECT_EQ(result->plots[0].id, "b.csv");
  EXPECT_EQ(result->plots[0].title, "Overridden");
  EXPECT_EQ(result->plots[1].id, "c.tsv");
  EXPECT_EQ(result->failed(), 0u);

  options.targets = {"nope.csv"};
  EXPECT_EQ(Show(options).status().code(), Code::kNotFound);
}

TEST_F(PlotsShowTest, DefinitionErrorsAreReportedNotFatal) {
  WriteFile(dir_ / "dvc.yaml", "plots:\n- a.csv:\n    template: nope\n- b.csv\n");
  WriteFile(dir_ / "b.csv", "y\n1\n");
  auto result = Show();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->errors.size(), 1u);
  EXPECT_NE(result->errors[0].find("dvc.yaml: plots entry 'a.csv': unknown plot template 'nope'"),
            std::string::npos);
  ASSERT_EQ(result->plots.size(), 1u);
  EXPECT_EQ(result->failed(), 1u);
}

TEST(SafePlotFileNameTest, Table) {
  EXPECT_EQ(SafePlotFileName("plots/loss.csv"), "plots_loss.csv");
  EXPECT_EQ(SafePlotFileName("train vs test"), "train_vs_test");
  EXPECT_EQ(SafePlotFileName(".hidden/x"), "_.hidden_x");
  EXPECT_EQ(SafePlotFileName(""), "_");
}

}  // namespace
}  // namespace conveyor
