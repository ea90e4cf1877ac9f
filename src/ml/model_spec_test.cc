#include "ml/model_spec.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace conveyor::ml {
namespace {

ModelSpec Example() {
  ModelSpec spec;
  spec.name = "digits";
  spec.input = Preprocessing{.rows = 2, .cols = 2, .scale = 1.0 / 255.0, .deskew = true};
  spec.labels = {"0", "1", "yes"};
  spec.sample_input = {{0, 12, 255, 7}, "1"};
  spec.reference.samples = 3;
  spec.reference.class_priors = {1.0 / 3.0, 2.0 / 3.0, 0};
  spec.reference.mean_intensity = 0.1234567890123;
  spec.reference.mean_ink_fraction = 0.1;
  spec.reference.intensity = MakeUnitHistogram(3);
  spec.reference.intensity.counts = {1, 2, 0};
  spec.reference.ink_fraction = MakeUnitHistogram(2);
  spec.reference.ink_fraction.counts = {3, 0};
  spec.training_params = {{"n_estimators", "100"}, {"tree_method", "hist"}};
  return spec;
}

TEST(ModelSpecTest, RoundTripsThroughAFile) {
  testing::TempDir dir;
  const ModelSpec spec = Example();
  ASSERT_TRUE(WriteModelSpec(dir / "model.yaml", spec).ok());
  auto back = ReadModelSpec(dir / "model.yaml");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, spec) << testing::ReadFile(dir / "model.yaml");
  const std::string text = EmitModelSpec(spec);
  EXPECT_EQ(text.rfind("format_version: 1\nname: digits\nbackend: xgboost\n", 0), 0U) << text;
  EXPECT_NE(text.find("labels: [\"0\", \"1\", \"yes\"]"), std::string::npos) << text;
}

TEST(ModelSpecTest, RejectsNewerAndOlderVersions) {
  ModelSpec spec = Example();
  spec.format_version = 2;
  auto newer = ParseModelSpec(EmitModelSpec(spec), "model.yaml");
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().message(),
            "model.yaml:1:17: format_version 2 is not supported (oldest 1, current 1)");
  spec.format_version = 0;
  auto older = ParseModelSpec(EmitModelSpec(spec), "model.yaml");
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.status().message(),
            "model.yaml:1:17: format_version 0 is not supported (oldest 1, current 1)");
}

TEST(ModelSpecTest, NamesMissingAndMistypedFields) {
  std::string text = EmitModelSpec(Example());
  std::string no_backend = text;
  no_backend.erase(no_backend.find("backend: xgboost\n"), 17);
  auto missing = ParseModelSpec(no_backend, "model.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "model.yaml: missing field 'backend'");

  std::string bad_deskew = text;
  bad_deskew.replace(bad_deskew.find("deskew: true"), 12, "deskew: maybe");
  auto mistyped = ParseModelSpec(bad_deskew, "model.yaml");
  ASSERT_FALSE(mistyped.ok());
  EXPECT_EQ(mistyped.status().message(),
            "model.yaml:10:11: field 'input.deskew' has the wrong type");

  auto not_yaml = ParseModelSpec("format_version: [1\n", "model.yaml");
  ASSERT_FALSE(not_yaml.ok());
  EXPECT_EQ(not_yaml.status().message().rfind("model.yaml:", 0), 0U);
}

TEST(ModelSpecTest, ChecksSampleInputSize) {
  ModelSpec spec = Example();
  spec.sample_input.pixels.pop_back();
  auto r = ParseModelSpec(EmitModelSpec(spec), "model.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sample_input.pixels has 3 values, expected 4 (2x2)"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace conveyor::ml
