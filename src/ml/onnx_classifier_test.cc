#include "ml/onnx_classifier.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ml/classifier.h"
#include "ml/concurrent_predict_check.h"
#include "ml/model_spec.h"
#include "testing/temp_dir.h"

namespace conveyor::ml {
namespace {

// testdata/tiny_classifier.onnx (made by testdata/make_tiny_onnx.py): a 2x2
// image x gives h = relu(2x) and softmax([h0, h1 + 0.5, h2 + h3 - 0.5]).
const std::filesystem::path kTiny =
    std::filesystem::path(CONVEYOR_ML_TESTDATA) / "tiny_classifier.onnx";

std::vector<float> Expected(std::span<const float> x) {
  std::vector<double> h;
  for (float v : x) {
    h.push_back(std::max(0.0, 2.0 * v));
  }
  const double logits[] = {h[0], h[1] + 0.5, h[2] + h[3] - 0.5};
  double sum = 0;
  for (double l : logits) {
    sum += std::exp(l);
  }
  return {static_cast<float>(std::exp(logits[0]) / sum),
          static_cast<float>(std::exp(logits[1]) / sum),
          static_cast<float>(std::exp(logits[2]) / sum)};
}

TEST(OnnxClassifierTest, PredictsTheGraphsProbabilities) {
  auto model = OnnxClassifier::Load(kTiny, {.rows = 2, .cols = 2});
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->num_classes(), 3);

  const std::vector<float> values = {1.0F,  0.0F, 0.0F, 0.0F,   // class 0
                                     0.0F,  0.8F, 0.1F, 0.0F,   // class 1
                                     0.0F,  0.0F, 0.9F, 0.7F,   // class 2
                                     -1.0F, 0.2F, 0.3F, 0.4F};  // relu clips the -1
  const DenseMatrix m{4, 4, values};
  auto proba = (*model)->PredictProba(m);
  ASSERT_TRUE(proba.ok()) << proba.status().message();
  ASSERT_EQ(proba->size(), 12U);
  for (size_t r = 0; r < 4; ++r) {
    const std::vector<float> want = Expected(std::span<const float>(values).subspan(r * 4, 4));
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_NEAR((*proba)[r * 3 + k], want[k], 1e-5) << "row " << r << " class " << k;
    }
  }
  auto predicted = (*model)->Predict(m);
  ASSERT_TRUE(predicted.ok());
  EXPECT_EQ(*predicted, (std::vector<int32_t>{0, 1, 2, 2}));
}

TEST(OnnxClassifierTest, ConcurrentCallersEachGetANetworkAndTheSameAnswers) {
  auto model = OnnxClassifier::Load(kTiny, {.rows = 2, .cols = 2});
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->networks(), 1U);
  const std::vector<float> values = {1.0F, 0.0F, 0.0F, 0.0F, 0.0F, 0.8F, 0.1F, 0.0F,
                                     0.0F, 0.0F, 0.9F, 0.7F, 0.3F, 0.2F, 0.3F, 0.4F};
  ExpectConcurrentPredictionsMatch(**model, {4, 4, values}, 4, 200);
  // At most one network per caller that ran at the same time.
  EXPECT_GE((*model)->networks(), 1U);
  EXPECT_LE((*model)->networks(), 4U);
}

TEST(OnnxClassifierTest, RejectsAWrongInputWidth) {
  auto model = OnnxClassifier::Load(kTiny, {.rows = 2, .cols = 2});
  ASSERT_TRUE(model.ok()) << model.status().message();
  const std::vector<float> values(3, 0.0F);
  auto proba = (*model)->PredictProba({1, 3, values});
  ASSERT_FALSE(proba.ok());
  EXPECT_EQ(proba.status().message(), "input has 3 features per row, expected 4 (2x2)");
}

TEST(OnnxClassifierTest, ReportsAMissingOrBrokenFile) {
  testing::TempDir dir;
  auto missing = OnnxClassifier::Load(dir / "none.onnx", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), (dir / "none.onnx").string() + ": no such model file");

  testing::WriteFile(dir / "bad.onnx", "not a protobuf");
  auto bad = OnnxClassifier::Load(dir / "bad.onnx", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(
      bad.status().message().rfind((dir / "bad.onnx").string() + ": cannot load ONNX model", 0), 0U)
      << bad.status().message();
}

ModelSpec TinySpec(std::string backend) {
  ModelSpec spec;
  spec.name = "tiny";
  spec.backend = std::move(backend);
  spec.model_file = "tiny_classifier.onnx";
  spec.input = {.rows = 2, .cols = 2, .scale = 1.0, .deskew = false};
  spec.labels = {"a", "b", "c"};
  return spec;
}

TEST(ClassifierTest, LoadsTheBackendTheSpecNames) {
  auto model = LoadClassifier(TinySpec("onnx"), CONVEYOR_ML_TESTDATA);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->num_classes(), 3);
}

TEST(ClassifierTest, ChecksLabelsAgainstTheModel) {
  ModelSpec spec = TinySpec("onnx");
  spec.labels.push_back("d");
  auto model = LoadClassifier(spec, CONVEYOR_ML_TESTDATA);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(),
            (std::filesystem::path(CONVEYOR_ML_TESTDATA) / "model.yaml").string() +
                ": 4 labels but the model has 3 classes");
}

TEST(ClassifierTest, NamesTheKnownBackends) {
  auto model = LoadClassifier(TinySpec("torch"), "model");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(),
            "model/model.yaml: unknown backend 'torch' (known: xgboost, onnx)");
}

}  // namespace
}  // namespace conveyor::ml
