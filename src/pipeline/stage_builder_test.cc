#include "pipeline/stage_builder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace conveyor {
namespace {

// Builds the stage "s" from `yaml`, a resolved stage body at the root.
Result<Stage> Build(std::string_view yaml, const std::string& wdir = "") {
  auto doc = YamlDocument::Parse(yaml, "dvc.yaml");
  if (!doc.ok())
    return doc.status();
  return BuildStage(*doc, "s", doc->root(), "", wdir);
}

TEST(StageBuilderTest, ParamsMergePerFileAndAWholeFileWins) {
  auto stage = Build(
      "cmd: x\n"
      "params:\n"
      "- lr\n"
      "- f.yaml: [a, b]\n"
      "- g.yaml: [c]\n"
      "- f.yaml:\n");
  ASSERT_TRUE(stage.ok()) << stage.status().ToString();
  ASSERT_EQ(stage->params.size(), 3u);
  EXPECT_EQ(stage->params[0].file, "params.yaml");
  EXPECT_EQ(stage->params[0].keys, std::vector<std::string>{"lr"});
  EXPECT_EQ(stage->params[1].file, "f.yaml");
  EXPECT_TRUE(stage->params[1].whole_file);
  EXPECT_TRUE(stage->params[1].keys.empty());
  EXPECT_EQ(stage->params[1].where.ToString(), "dvc.yaml:4:3");
  EXPECT_EQ(stage->params[2].keys, std::vector<std::string>{"c"});
  EXPECT_EQ(stage->wdir, ".");
}

TEST(StageBuilderTest, RepeatedOutsMergeFlagsAtTheFirstPosition) {
  auto stage = Build(
      "cmd: [a, b]\n"
      "outs:\n"
      "- m\n"
      "- m: {cache: false}\n"
      "plots:\n"
      "- p.csv: {x: step, persist: true}\n",
      "sub");
  ASSERT_TRUE(stage.ok()) << stage.status().ToString();
  EXPECT_TRUE(stage->cmd_is_list);
  EXPECT_EQ(stage->wdir, "sub");
  ASSERT_EQ(stage->outs.size(), 2u);
  EXPECT_EQ(stage->outs[0].path, "m");
  EXPECT_FALSE(stage->outs[0].cache);
  EXPECT_EQ(stage->outs[0].where.ToString(), "dvc.yaml:3:3");
  EXPECT_EQ(stage->outs[1].kind, OutKind::kPlot);
  EXPECT_TRUE(stage->outs[1].persist);
  EXPECT_EQ(stage->outs[1].plot_props, R"({"x":"step"})");
}

TEST(StageBuilderTest, WrongTypesNameTheField) {
  EXPECT_EQ(Build("cmd: [a, 1]\n").status().message(),
            "dvc.yaml:1:10: stage 's': 'cmd[1]' must be a string, got int");
  EXPECT_EQ(Build("cmd: x\nfrozen: 'yes'\n").status().message(),
            "dvc.yaml:2:9: stage 's': 'frozen' must be a boolean, got str");
  EXPECT_EQ(Build("cmd: x\nouts:\n- m: 1\n").status().message(),
            "dvc.yaml:3:6: stage 's': expected dict for 'm', got: 'int'");
}

}  // namespace
}  // namespace conveyor
