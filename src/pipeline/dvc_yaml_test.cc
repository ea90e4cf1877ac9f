#include "pipeline/dvc_yaml.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

Result<PipelineFile> Load(const testing::TempDir& dir, std::string_view dvc_yaml,
                          const InterpolateOptions& options = {}) {
  testing::WriteFile(dir / "dvc.yaml", dvc_yaml);
  return LoadDvcYaml(dir.path(), "dvc.yaml", options);
}

std::vector<std::string> Names(const PipelineFile& file) {
  std::vector<std::string> names;
  for (const Stage& stage : file.stages)
    names.push_back(stage.name);
  return names;
}

TEST(DvcYamlTest, PlainStageWithEveryField) {
  testing::TempDir dir;
  testing::WriteFile(dir / "params.yaml", "train:\n  lr: 0.01\n  epochs: 5\n");
  auto file = Load(dir, R"(stages:
  train:
    desc: Train it
    wdir: src
    cmd: python train.py --lr ${train.lr}
    deps:
      - data.csv
    params:
      - train.lr
      - custom.yaml:
          - a.b
      - whole.toml:
    outs:
      - model.pkl
      - cache/:
          cache: false
          persist: true
          push: false
          remote: s3
          desc: scratch
    metrics:
      - metrics.json:
          cache: false
    plots:
      - loss.csv:
          x: step
          y: loss
          template: linear
    frozen: true
    always_changed: false
    meta: {owner: me}
)");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ(file->stages.size(), 1u);
  const Stage& s = file->stages[0];
  EXPECT_EQ(s.name, "train");
  EXPECT_EQ(s.desc, "Train it");
  EXPECT_EQ(s.wdir, "src");
  EXPECT_EQ(s.cmd, std::vector<std::string>{"python train.py --lr 0.01"});
  EXPECT_FALSE(s.cmd_is_list);
  EXPECT_EQ(s.deps, std::vector<std::string>{"data.csv"});
  EXPECT_EQ(s.deps_where[0].ToString(), "dvc.yaml:7:9");
  ASSERT_EQ(s.params.size(), 3u);
  EXPECT_EQ(s.params[0].file, "params.yaml");
  EXPECT_EQ(s.params[0].keys, std::vector<std::string>{"train.lr"});
  EXPECT_EQ(s.params[1].file, "custom.yaml");
  EXPECT_EQ(s.params[1].keys, std::vector<std::string>{"a.b"});
  EXPECT_EQ(s.params[2].file, "whole.toml");
  EXPECT_TRUE(s.params[2].whole_file);
  ASSERT_EQ(s.outs.size(), 4u);
  EXPECT_EQ(s.outs[0].path, "model.pkl");
  EXPECT_TRUE(s.outs[0].cache);
  EXPECT_EQ(s.outs[1].path, "cache/");
  EXPECT_FALSE(s.outs[1].cache);
  EXPECT_TRUE(s.outs[1].persist);
  EXPECT_FALSE(s.outs[1].push);
  EXPECT_EQ(s.outs[1].remote, "s3");
  EXPECT_EQ(s.outs[1].desc, "scratch");
  EXPECT_EQ(s.outs[1].where.ToString(), "dvc.yaml:15:9");
  EXPECT_EQ(s.outs[2].kind, OutKind::kMetric);
  EXPECT_FALSE(s.outs[2].cache);
  EXPECT_EQ(s.outs[3].kind, OutKind::kPlot);
  EXPECT_EQ(s.outs[3].plot_props, R"({"template":"linear","x":"step","y":"loss"})");
  EXPECT_TRUE(s.frozen);
  EXPECT_FALSE(s.always_changed);
  EXPECT_EQ(s.where.ToString(), "dvc.yaml:2:3");
}

TEST(DvcYamlTest, CmdListAndTypePreservation) {
  testing::TempDir dir;
  auto file = Load(dir, R"(vars:
  - flag: true
    n: 3
stages:
  a:
    cmd:
      - echo ${n}
      - echo ${flag}
    frozen: ${flag}
)");
  // DVC checks the raw file against its schema: `frozen` must be a bool there.
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().message(),
            "dvc.yaml:9:13: stage 'a': 'frozen' must be a boolean, got str");
  file = Load(dir, R"(vars:
  - flag: false
    n: 3
stages:
  a:
    cmd:
      - echo ${n}
      - echo ${flag}
    outs:
      - out-${n}
)");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_TRUE(file->stages[0].cmd_is_list);
  EXPECT_EQ(file->stages[0].cmd, (std::vector<std::string>{"echo 3", "echo false"}));
  EXPECT_EQ(file->stages[0].outs[0].path, "out-3");
}

TEST(DvcYamlTest, ForeachOverListAndDict) {
  testing::TempDir dir;
  auto file = Load(dir, R"(vars:
  - models:
      us: {thresh: 10}
      uk: {thresh: 7}
stages:
  build:
    foreach: [a, b, 3]
    do:
      cmd: echo ${item}
  train:
    foreach: ${models}
    do:
      cmd: train ${key} ${item.thresh}
      outs:
        - model-${key}.pkl
  eval:
    foreach:
      - {n: 1}
      - {n: 2}
    do:
      cmd: eval ${item.n}
)");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(Names(*file), (std::vector<std::string>{"build@a", "build@b", "build@3", "train@us",
                                                    "train@uk", "eval@0", "eval@1"}));
  EXPECT_EQ(file->stages[2].cmd[0], "echo 3");
  EXPECT_EQ(file->stages[3].cmd[0], "train us 10");
  EXPECT_EQ(file->stages[4].outs[0].path, "model-uk.pkl");
  EXPECT_EQ(file->stages[6].cmd[0], "eval 2");
  EXPECT_EQ(file->stages[6].generated_from, "eval");
  EXPECT_EQ(file->stages[6].where.ToString(), "dvc.yaml:16:3");
}

TEST(DvcYamlTest, MatrixNaming) {
  testing::TempDir dir;
  auto file = Load(dir, R"(vars:
  - opts: [adam, sgd]
stages:
  fit:
    matrix:
      lr: [0.1, 1e-3]
      opt: ${opts}
      cfg: [{a: 1}]
      on: [true]
    cmd: fit ${item.lr} ${item.opt} ${item.cfg.a} ${key}
)");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(Names(*file),
            (std::vector<std::string>{"fit@0.1-adam-cfg0-true", "fit@0.1-sgd-cfg0-true",
                                      "fit@0.001-adam-cfg0-true", "fit@0.001-sgd-cfg0-true"}));
  EXPECT_EQ(file->stages[3].cmd[0], "fit 0.001 sgd 1 0.001-sgd-cfg0-true");
}

TEST(DvcYamlTest, VarsFromFilesAndStageVars) {
  testing::TempDir dir;
  testing::WriteFile(dir / "params.yaml", "lr: 0.1\n");
  testing::WriteFile(dir / "cfg.yaml", "a: 1\nb: 2\nc: 3\n");
  testing::WriteFile(dir / "src/local.json", R"({"d": "json"})");
  auto file = Load(dir, R"(vars:
  - cfg.yaml:a,b
  - {e: inline}
stages:
  s:
    wdir: src
    vars:
      - local.json
      - {f: 5}
    cmd: run ${lr} ${a} ${b} ${d} ${e} ${f}
)");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->stages[0].cmd[0], "run 0.1 1 2 json inline 5");
}

TEST(DvcYamlTest, DictInCmdUsesParsingConfig) {
  testing::TempDir dir;
  testing::WriteFile(dir / "params.yaml", "args:\n  epochs: 3\n  dry: false\n  tags: [x, y]\n");
  InterpolateOptions options;
  options.bool_flags = InterpolateOptions::BoolFlags::kBooleanOptional;
  auto file = Load(dir, "stages:\n  t:\n    cmd: python t.py ${args}\n", options);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->stages[0].cmd[0], "python t.py --epochs 3 --no-dry --tags x y");
}

TEST(DvcYamlTest, TopLevelSections) {
  testing::TempDir dir;
  auto file = Load(dir, R"(vars:
  - dir: eval
params:
  - ${dir}/params.json
metrics:
  - ${dir}/metrics.json
plots:
  - ${dir}/roc.csv:
      x: fpr
  - plain.csv
artifacts:
  model:
    path: model.pkl
    type: model
)");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->params, std::vector<std::string>{"eval/params.json"});
  EXPECT_EQ(file->metrics, std::vector<std::string>{"eval/metrics.json"});
  EXPECT_EQ(file->plots,
            (std::vector<std::string>{R"({"eval/roc.csv":{"x":"fpr"}})", R"("plain.csv")"}));
  EXPECT_EQ(file->artifacts, R"({"model":{"path":"model.pkl","type":"model"}})");
  EXPECT_TRUE(file->stages.empty());
}

struct ErrorCase {
  const char* name;
  const char* yaml;
  const char* message;
};

TEST(DvcYamlTest, ErrorsNameFileLineColumn) {
  const ErrorCase cases[] = {
      {"unknown stage key", "stages:\n  train:\n    cmd: x\n    out: [a]\n",
       "dvc.yaml:4:5: stage 'train': unknown key 'out' (did you mean 'outs'?)"},
      {"unknown top key", "stagse:\n  a:\n    cmd: x\n",
       "dvc.yaml:1:1: unknown key 'stagse' (did you mean 'stages'?)"},
      {"unknown out flag",
       "stages:\n  a:\n    cmd: x\n    outs:\n      - m:\n          cahce: false\n",
       "dvc.yaml:6:11: stage 'a': unknown key 'cahce' (did you mean 'cache'?)"},
      {"missing cmd", "stages:\n  a:\n    deps: [x]\n",
       "dvc.yaml:2:3: stage 'a': missing required key 'cmd'"},
      {"wrong type", "stages:\n  a:\n    cmd: x\n    deps: x\n",
       "dvc.yaml:4:11: stage 'a': 'deps' must be a list, got str"},
      {"dep not string", "stages:\n  a:\n    cmd: x\n    deps: [1]\n",
       "dvc.yaml:4:12: stage 'a': 'deps[0]' must be a string, got int"},
      {"undefined variable", "stages:\n  train:\n    cmd: python ${lr}\n",
       "dvc.yaml:3:10: failed to parse 'stages.train.cmd': Could not find 'lr'"},
      {"undefined in foreach", "stages:\n  b:\n    foreach: [x]\n    do:\n      cmd: ${itme}\n",
       "dvc.yaml:5:12: failed to parse 'stages.b@x.cmd': Could not find 'itme' (did you mean "
       "'item'?)"},
      {"syntax error", "stages:\n  a:\n    cmd: echo ${x.}\n",
       "dvc.yaml:3:10: failed to parse 'stages.a.cmd': invalid expression '${x.}': expected end "
       "of text, found '.' (at char 3)"},
      {"list in outs", "vars:\n  - l: [1]\nstages:\n  a:\n    cmd: x\n    outs: [\"${l}\"]\n",
       "dvc.yaml:6:12: failed to parse 'stages.a.outs': Cannot interpolate data of type 'list'"},
      {"foreach not iterable",
       "vars:\n  - s: str\nstages:\n  a:\n    foreach: ${s}\n    do:\n"
       "      cmd: x\n",
       "dvc.yaml:5:14: failed to resolve 'stages.a.foreach': expected list/dictionary, got str"},
      {"vars conflict", "vars:\n  - {a: 1}\n  - {a: 2}\nstages: {}\n",
       "dvc.yaml:3:5: failed to parse 'vars': cannot redefine 'a' from 'vars[1]' as it already "
       "exists in 'vars[0]'"},
      {"vars interpolated", "vars:\n  - ${x}.yaml\n",
       "dvc.yaml:2:3: failed to parse 'vars': interpolating is not allowed"},
      {"missing vars file", "stages:\n  a:\n    vars: [nope.yaml]\n    cmd: x\n",
       "dvc.yaml:3:12: failed to parse 'stages.a.vars': 'nope.yaml' does not exist"},
      {"reserved item",
       "stages:\n  a:\n    foreach: [1]\n    do:\n      vars: [{item: 2}]\n"
       "      cmd: x\n",
       "dvc.yaml:5:14: failed to parse 'stages.a@1.vars': attempted to modify reserved key item"},
      {"at in name", "stages:\n  a@b:\n    cmd: x\n",
       "dvc.yaml:2:3: invalid stage name 'a@b': names must be non-empty and may not contain '@', "
       "which separates foreach/matrix keys"},
      {"foreach extra key", "stages:\n  a:\n    foreach: [1]\n    do: {cmd: x}\n    cmd: y\n",
       "dvc.yaml:5:5: stage 'a': unknown key 'cmd'"},
      {"params bad", "stages:\n  a:\n    cmd: x\n    params:\n      - f.yaml: x\n",
       "dvc.yaml:5:17: stage 'a': expected list of params for custom params file 'f.yaml', got "
       "'str'"},
      {"yaml syntax", "stages:\n  a: [\n", "dvc.yaml:3:1: end of sequence flow not found"},
      {"top not mapping", "- a\n", "dvc.yaml:1:1: expected a mapping at the top level, got list"},
  };
  for (const ErrorCase& c : cases) {
    testing::TempDir dir;
    auto file = Load(dir, c.yaml);
    ASSERT_FALSE(file.ok()) << c.name;
    EXPECT_EQ(file.status().code(), Code::kInvalid) << c.name;
    EXPECT_EQ(file.status().message(), c.message) << c.name;
  }
}

TEST(DvcYamlTest, MissingFileIsNotFound) {
  testing::TempDir dir;
  auto file = LoadDvcYaml(dir.path(), "dvc.yaml");
  EXPECT_EQ(file.status().code(), Code::kNotFound);
  EXPECT_EQ(file.status().message(), "'dvc.yaml' does not exist");
}

TEST(DvcYamlTest, SubdirectoryDvcYamlUsesItsOwnParams) {
  testing::TempDir dir;
  testing::WriteFile(dir / "sub/params.yaml", "x: 1\n");
  testing::WriteFile(dir / "sub/dvc.yaml", "stages:\n  a:\n    cmd: echo ${x}\n");
  auto file = LoadDvcYaml(dir.path(), "sub/dvc.yaml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->path, "sub/dvc.yaml");
  EXPECT_EQ(file->stages[0].cmd[0], "echo 1");
  EXPECT_EQ(file->stages[0].where.ToString(), "sub/dvc.yaml:2:3");
}

}  // namespace
}  // namespace conveyor
