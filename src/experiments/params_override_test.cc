#include "experiments/params_override.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/file_util.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

void Write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string Read(const std::filesystem::path& path) { return *ReadFileToString(path); }

std::vector<ParamOverride> Parse(std::initializer_list<const char*> args) {
  std::vector<ParamOverride> overrides;
  for (const char* arg : args) {
    auto parsed = ParseParamOverride(arg);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    overrides.push_back(*parsed);
  }
  return overrides;
}

TEST(ParamOverrideTest, ParsesFileKeyAndValue) {
  auto plain = ParseParamOverride("train.max_depth=8");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->file, "params.yaml");
  EXPECT_EQ(plain->key, "train.max_depth");
  EXPECT_EQ(plain->value, "8");
  auto filed = ParseParamOverride("conf/train.yaml:lr=a=b");
  ASSERT_TRUE(filed.ok());
  EXPECT_EQ(filed->file, "conf/train.yaml");
  EXPECT_EQ(filed->key, "lr");
  EXPECT_EQ(filed->value, "a=b");
  EXPECT_EQ(ParseParamOverride("novalue").status().message(),
            "-S 'novalue': expected [FILE:]KEY=VALUE, e.g. train.max_depth=8");
  EXPECT_EQ(ParseParamOverride("=3").status().code(), Code::kUsage);
  EXPECT_EQ(ParseParamOverride("+new=3").status().message(),
            "-S '+new=3': adding new keys is not supported; add 'new' to params.yaml first");
}

TEST(ParamOverrideTest, EditsYamlValuesInPlaceKeepingComments) {
  testing::TempDir dir;
  Write(dir.path() / "params.yaml",
        "# training settings\n"
        "train:\n"
        "  max_depth: 6   # deeper overfits\n"
        "  lr: 0.3\n"
        "  method: 'hist'\n"
        "  layers: [1, 2]\n"
        "seed: 42\n");
  auto changed = ApplyParamOverrides(
      dir.path(), Parse({"train.max_depth=8", "train.lr=0.05", "train.method=exact", "seed=7"}));
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(*changed, std::vector<std::string>{"params.yaml"});
  EXPECT_EQ(Read(dir.path() / "params.yaml"),
            "# training settings\n"
            "train:\n"
            "  max_depth: 8   # deeper overfits\n"
            "  lr: 0.05\n"
            "  method: exact\n"
            "  layers: [1, 2]\n"
            "seed: 7\n");
}

TEST(ParamOverrideTest, QuotesStringsThatWouldReadAsSomethingElse) {
  testing::TempDir dir;
  Write(dir.path() / "params.yaml", "name: a\nnote: b\n");
  auto changed = ApplyParamOverrides(dir.path(), Parse({"name=it's: here", "note=#tag"}));
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(Read(dir.path() / "params.yaml"), "name: 'it''s: here'\nnote: '#tag'\n");
}

TEST(ParamOverrideTest, RewritesJsonKeepingKeyOrder) {
  testing::TempDir dir;
  Write(dir.path() / "p.json", "{\"z\": 1, \"a\": {\"lr\": 0.1}}");
  auto changed = ApplyParamOverrides(dir.path(), Parse({"p.json:a.lr=0.5"}));
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(Read(dir.path() / "p.json"), "{\n  \"z\": 1,\n  \"a\": {\n    \"lr\": 0.5\n  }\n}\n");
}

TEST(ParamOverrideTest, BadOverridesChangeNoFile) {
  testing::TempDir dir;
  const std::string params = "train:\n  max_depth: 6\n  layers: [1, 2]\n";
  Write(dir.path() / "params.yaml", params);
  Write(dir.path() / "other.yaml", "a: 1\n");

  auto typo = ApplyParamOverrides(dir.path(), Parse({"other.yaml:a=2", "train.max_dept=8"}));
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().message(),
            "-S train.max_dept=8: 'train.max_dept' not found in 'params.yaml' (did you mean "
            "'train.max_depth'?)");
  auto mapping = ApplyParamOverrides(dir.path(), Parse({"train=3"}));
  ASSERT_FALSE(mapping.ok());
  EXPECT_EQ(mapping.status().message(),
            "-S train: params.yaml:2:3 holds a mapping, not a single value; set one of its keys");
  auto list = ApplyParamOverrides(dir.path(), Parse({"train.layers=3"}));
  ASSERT_FALSE(list.ok());
  auto missing = ApplyParamOverrides(dir.path(), Parse({"nope.yaml:a=1"}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.yaml"), std::string::npos);

  EXPECT_EQ(Read(dir.path() / "params.yaml"), params);
  EXPECT_EQ(Read(dir.path() / "other.yaml"), "a: 1\n");
}

}  // namespace
}  // namespace conveyor
