#include "pipeline/params_file.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

TEST(ParamsFileTest, LoadsByExtension) {
  testing::TempDir dir;
  testing::WriteFile(dir / "params.yaml", "train:\n  lr: 0.01\n  epochs: 10\nflag: yes\n");
  testing::WriteFile(dir / "p.json", R"({"train": {"lr": 0.01, "layers": [1, 2]}})");
  testing::WriteFile(dir / "p.toml", "[train]\nlr = 0.01\nname = \"x\"\nuse = true\n");
  testing::WriteFile(dir / "p.cfg", "a: 1\n");  // any other name is YAML, as in DVC

  auto yaml = LoadParamsFile(dir / "params.yaml", "params.yaml");
  ASSERT_TRUE(yaml.ok()) << yaml.status().ToString();
  EXPECT_EQ(yaml->dump(), R"({"train":{"lr":0.01,"epochs":10},"flag":"yes"})");
  auto json = LoadParamsFile(dir / "p.json", "p.json");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->dump(), R"({"train":{"lr":0.01,"layers":[1,2]}})");
  auto toml = LoadParamsFile(dir / "p.toml", "p.toml");
  ASSERT_TRUE(toml.ok()) << toml.status().ToString();
  EXPECT_EQ(toml->dump(), R"({"train":{"lr":0.01,"name":"x","use":true}})");
  auto other = LoadParamsFile(dir / "p.cfg", "p.cfg");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->dump(), R"({"a":1})");
}

TEST(ParamsFileTest, Errors) {
  testing::TempDir dir;
  testing::WriteFile(dir / "params.py", "LR = 0.1\n");
  testing::WriteFile(dir / "list.yaml", "- 1\n");
  testing::WriteFile(dir / "bad.toml", "a = \n");
  testing::WriteFile(dir / "bad.json", "{");
  struct Case {
    const char* file;
    Code code;
    const char* message;
  };
  const Case cases[] = {
      {"missing.yaml", Code::kNotFound, "'missing.yaml' does not exist"},
      {"params.py", Code::kInvalid,
       "'params.py': Python params files are not supported by conveyor; use YAML, JSON or TOML"},
      {"list.yaml", Code::kInvalid, "expected a dictionary, got 'list' in file 'list.yaml'"},
  };
  for (const Case& c : cases) {
    auto loaded = LoadParamsFile(dir / c.file, c.file);
    ASSERT_FALSE(loaded.ok()) << c.file;
    EXPECT_EQ(loaded.status().code(), c.code);
    EXPECT_EQ(loaded.status().message(), c.message);
  }
  auto toml = LoadParamsFile(dir / "bad.toml", "bad.toml");
  ASSERT_FALSE(toml.ok());
  EXPECT_EQ(toml.status().message().rfind("bad.toml:1:", 0), 0u) << toml.status().message();
  auto json = LoadParamsFile(dir / "bad.json", "bad.json");
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().message().rfind("bad.json: JSON file structure is corrupted", 0), 0u);
}

TEST(ParamsFileTest, FlattenDotsNestedMappingsOnly) {
  Json tree = Json::parse(R"({"train": {"lr": 0.1, "opt": {"name": "adam"}, "layers": [1, 2],
                              "empty": {}}, "seed": 1})");
  EXPECT_EQ(FlattenParams(tree).dump(),
            R"({"train.lr":0.1,"train.opt.name":"adam","train.layers":[1,2],"train.empty":{},)"
            R"("seed":1})");
}

TEST(ParamsFileTest, LookupDottedKeysAndListIndexes) {
  Json tree = Json::parse(R"({"train": {"lr": 0.1, "layers": [{"units": 64}]}})");
  EXPECT_EQ(LookupParam(tree, "train.lr", "params.yaml").value(), Json(0.1));
  EXPECT_EQ(LookupParam(tree, "train.layers.0.units", "params.yaml").value(), Json(64));
  auto typo = LookupParam(tree, "train.lrr", "params.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), Code::kNotFound);
  EXPECT_EQ(typo.status().message(),
            "'train.lrr' not found in 'params.yaml' (did you mean 'train.lr'?)");
  EXPECT_EQ(LookupParam(tree, "zzz", "params.yaml").status().message(),
            "'zzz' not found in 'params.yaml'");
  EXPECT_FALSE(LookupParam(tree, "train.layers.1", "params.yaml").ok());
}

}  // namespace
}  // namespace conveyor
