#include "report/params_diff.h"

#include <gtest/gtest.h>

#include <map>

namespace conveyor {
namespace {

// A project held in memory: path -> contents.
FileReader MapReader(std::map<std::string, std::string> files) {
  return [files = std::move(files)](const std::string& path) -> Result<std::optional<std::string>> {
    auto it = files.find(path);
    if (it == files.end())
      return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  };
}

std::vector<ParamsValues> Collect(std::map<std::string, std::string> files) {
  FileReader read = MapReader(std::move(files));
  auto workspace = Workspace::LoadFiles(read, {"dvc.yaml"});
  EXPECT_TRUE(workspace.ok()) << workspace.status().message();
  return workspace.ok() ? CollectParams(*workspace, read) : std::vector<ParamsValues>();
}

constexpr char kDvcYaml[] =
    "params:\n- global.yaml\n"
    "stages:\n"
    "  train:\n"
    "    cmd: python train.py --lr ${train.lr}\n"
    "    params:\n    - train.lr\n    - model\n    - extra.json:\n"
    "  eval:\n"
    "    cmd: python eval.py\n"
    "    wdir: sub\n"
    "    params:\n    - threshold\n";

TEST(ParamsDiffTest, CollectsTheParamsTheStagesUse) {
  std::vector<ParamsValues> files = Collect({
      {"dvc.yaml", kDvcYaml},
      {"params.yaml",
       "train:\n  lr: 0.01\n  epochs: 3\nmodel:\n  layers: [8, 4]\n  act: relu\nunused: 1\n"},
      {"extra.json", R"({"seed": 7, "nested": {"a": {}}})"},
      {"global.yaml", "name: demo\n"},
      {"sub/params.yaml", "threshold: 0.5\nother: 2\n"},
  });
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[0].path, "extra.json");
  EXPECT_EQ(files[0].values.dump(), R"({"seed":7,"nested.a":{}})");
  EXPECT_EQ(files[1].path, "global.yaml");
  EXPECT_EQ(files[1].values.dump(), R"({"name":"demo"})");
  EXPECT_EQ(files[2].path, "params.yaml");  // only the keys listed
  EXPECT_EQ(files[2].values.dump(), R"({"train.lr":0.01,"model.layers":[8,4],"model.act":"relu"})");
  EXPECT_EQ(files[3].path, "sub/params.yaml");
  EXPECT_EQ(files[3].values.dump(), R"({"threshold":0.5})");
}

TEST(ParamsDiffTest, DefaultParamsFileCountsWholeAndMissingFilesAreNamed) {
  std::vector<ParamsValues> files = Collect({
      {"dvc.yaml", "stages:\n  s:\n    cmd: x\n    params:\n    - cfg.yaml:\n        - a\n"},
      {"params.yaml", "b: 1\n"},
  });
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "cfg.yaml");
  EXPECT_EQ(files[0].error, "'cfg.yaml' does not exist");
  EXPECT_EQ(files[1].path, "params.yaml");
  EXPECT_EQ(files[1].values.dump(), R"({"b":1})");
}

TEST(ParamsDiffTest, ShowsChangedParams) {
  const std::string yaml = "stages:\n  s:\n    cmd: x\n    params:\n    - train\n";
  std::vector<ParamsValues> old_files = Collect(
      {{"dvc.yaml", yaml}, {"params.yaml", "train:\n  lr: 0.01\n  opt: sgd\n  layers: [8]\n"}});
  std::vector<ParamsValues> new_files =
      Collect({{"dvc.yaml", yaml},
               {"params.yaml", "train:\n  lr: 0.02\n  opt: sgd\n  layers: [8, 4]\n  seed: 1\n"}});
  ParamsDiff diff = DiffParams("HEAD", old_files, "workspace", new_files, false);
  EXPECT_TRUE(diff.warnings.empty());
  EXPECT_EQ(FormatParamsDiff(diff, false),
            "Path         Param         HEAD  workspace\n"
            "params.yaml  train.layers  [8]   [8,4]\n"
            "params.yaml  train.lr      0.01  0.02\n"
            "params.yaml  train.seed    -     1\n");
  EXPECT_EQ(FormatParamsDiff(diff, true, false),
            "| Param | HEAD | workspace |\n|---|---|---|\n"
            "| train.layers | [8] | [8,4] |\n"
            "| train.lr | 0.01 | 0.02 |\n"
            "| train.seed | - | 1 |\n");
  EXPECT_EQ(ParamsDiffJson(diff).dump(),
            R"({"params.yaml":{"train.layers":{"old":[8],"new":[8,4]},)"
            R"("train.lr":{"old":0.01,"new":0.02},"train.seed":{"old":null,"new":1}}})");

  ParamsDiff all = DiffParams("HEAD", old_files, "workspace", new_files, true);
  EXPECT_EQ(all.changes.size(), 4u);
  EXPECT_EQ(all.changes[2].key, "train.opt");
}

TEST(ParamsDiffTest, UnreadableFileOnOneSideIsAWarning) {
  // (A malformed params.yaml fails the whole load: dvc.yaml interpolates
  // from it. Another file's errors are per file.)
  const std::string yaml = "stages:\n  s:\n    cmd: x\n    params:\n    - cfg.yaml:\n      - lr\n";
  std::vector<ParamsValues> old_files =
      Collect({{"dvc.yaml", yaml}, {"cfg.yaml", "lr: [unclosed\n"}});
  std::vector<ParamsValues> new_files = Collect({{"dvc.yaml", yaml}, {"cfg.yaml", "lr: 1\n"}});
  ParamsDiff diff = DiffParams("HEAD", old_files, "workspace", new_files, false);
  ASSERT_EQ(diff.warnings.size(), 1u);
  EXPECT_EQ(diff.warnings[0].rfind("HEAD: cfg.yaml:", 0), 0u) << diff.warnings[0];
  EXPECT_EQ(FormatParamsDiff(diff, false),
            "Path      Param  HEAD  workspace\n"
            "cfg.yaml  lr     -     1\n");
}

}  // namespace
}  // namespace conveyor
