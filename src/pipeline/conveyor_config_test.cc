#include "pipeline/conveyor_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

TEST(ConveyorConfigTest, ParsesRegistryAndModels) {
  auto config = ParseConveyorConfig(
      "registry: postgresql://ml@db/registry\n"
      "models:\n"
      "  digits:\n"
      "    path: ./model/\n"
      "    spec: model/model.yaml\n"
      "    description: XGBoost digits\n"
      "  tiny:\n"
      "    path: out/tiny.onnx\n",
      "conveyor.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->registry, "postgresql://ml@db/registry");
  ASSERT_EQ(config->models.size(), 2u);
  EXPECT_EQ(config->models[0].name, "digits");
  EXPECT_EQ(config->models[0].path, "model");
  EXPECT_EQ(config->models[0].spec, "model/model.yaml");
  EXPECT_EQ(config->models[0].description, "XGBoost digits");
  EXPECT_EQ(config->models[0].where.ToString(), "conveyor.yaml:3:3");
  EXPECT_EQ(config->models[1].path, "out/tiny.onnx");
  EXPECT_EQ(config->models[1].spec, "");
}

struct BadCase {
  const char* text;
  const char* error;
};

TEST(ConveyorConfigTest, BadInputNamesTheLineAndField) {
  const BadCase cases[] = {
      {"regisrty: x\n",
       "conveyor.yaml:1:1: unknown key 'regisrty' in conveyor.yaml (did you mean "
       "'registry'?)"},
      {"models:\n  m:\n    pth: a\n",
       "conveyor.yaml:3:5: unknown key 'pth' in model 'm' (did you mean 'path'?)"},
      {"models:\n  m:\n    spec: a\n",
       "conveyor.yaml:2:3: model 'm' has no 'path' (the pipeline output it is)"},
      {"models:\n  m:\n    path: ../outside\n",
       "conveyor.yaml:3:11: 'path' must be a path inside the project, got '../outside'"},
      {"models:\n  m:\n    path: /abs\n",
       "conveyor.yaml:3:11: 'path' must be a path inside the project, got '/abs'"},
      {"models:\n  m:\n    path: 3\n", "conveyor.yaml:3:11: 'path' must be a non-empty string"},
      {"models: [a]\n", "conveyor.yaml:1:9: 'models' must be a mapping of model name to settings"},
      {"models:\n  m: model\n",
       "conveyor.yaml:2:6: model 'm' must be a mapping with at least 'path'"},
      {"- a\n", "conveyor.yaml: expected a mapping at the top level"},
  };
  for (const BadCase& bad : cases) {
    auto config = ParseConveyorConfig(bad.text, "conveyor.yaml");
    ASSERT_FALSE(config.ok()) << bad.text;
    EXPECT_EQ(config.status().code(), Code::kInvalid);
    EXPECT_EQ(config.status().message(), bad.error) << bad.text;
  }
}

TEST(ConveyorConfigTest, MissingFileIsAnEmptyConfig) {
  testing::TempDir dir;
  auto config = LoadConveyorConfig(dir.path());
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->registry.empty());
  EXPECT_TRUE(config->models.empty());
}

TEST(ConveyorConfigTest, LoadsFromTheProjectRoot) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "conveyor.yaml") << "models:\n  digits:\n    path: model\n";
  auto config = LoadConveyorConfig(dir.path());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->models.size(), 1u);
  EXPECT_EQ(config->models[0].path, "model");
}

}  // namespace
}  // namespace conveyor
