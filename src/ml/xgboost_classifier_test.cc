#include "ml/xgboost_classifier.h"

#include <gtest/gtest.h>

#include "ml/concurrent_predict_check.h"
#include "testing/temp_dir.h"

namespace conveyor::ml {
namespace {

// Three classes separated by the first feature: class = round(x0).
struct Toy {
  std::vector<float> values;
  std::vector<int32_t> labels;
  DenseMatrix matrix() const { return {labels.size(), 2, values}; }
};

Toy MakeToy() {
  Toy toy;
  for (int i = 0; i < 60; ++i) {
    const int label = i % 3;
    toy.values.push_back(static_cast<float>(label) + 0.01F * static_cast<float>(i % 7));
    toy.values.push_back(static_cast<float>(i % 5));
    toy.labels.push_back(label);
  }
  return toy;
}

XgboostParams SmallParams() {
  return {.num_class = 3, .n_estimators = 10, .max_depth = 2, .learning_rate = 0.5, .nthread = 1};
}

TEST(XgboostClassifierTest, LearnsASeparableProblemAndRoundTrips) {
  const Toy toy = MakeToy();
  auto model = XgboostClassifier::Train(SmallParams(), toy.matrix(), toy.labels);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto predicted = (*model)->Predict(toy.matrix());
  ASSERT_TRUE(predicted.ok()) << predicted.status().message();
  EXPECT_EQ(*predicted, toy.labels);

  auto proba = (*model)->PredictProba(toy.matrix());
  ASSERT_TRUE(proba.ok());
  ASSERT_EQ(proba->size(), 60U * 3U);
  EXPECT_NEAR((*proba)[0] + (*proba)[1] + (*proba)[2], 1.0F, 1e-5);

  testing::TempDir dir;
  ASSERT_TRUE((*model)->Save(dir / "model.json").ok());
  auto loaded = XgboostClassifier::Load(dir / "model.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ((*loaded)->num_classes(), 3);
  auto again = (*loaded)->PredictProba(toy.matrix());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *proba);
}

TEST(XgboostClassifierTest, ConcurrentPredictionsMatchSequentialOnes) {
  const Toy toy = MakeToy();
  auto model = XgboostClassifier::Train(SmallParams(), toy.matrix(), toy.labels);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ExpectConcurrentPredictionsMatch(**model, toy.matrix(), 4, 20);
}

TEST(XgboostClassifierTest, TrainingIsDeterministic) {
  const Toy toy = MakeToy();
  auto a = XgboostClassifier::Train(SmallParams(), toy.matrix(), toy.labels);
  auto b = XgboostClassifier::Train(SmallParams(), toy.matrix(), toy.labels);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*(*a)->SaveToJson(), *(*b)->SaveToJson());
}

TEST(XgboostClassifierTest, XgboostErrorsBecomeStatuses) {
  const Toy toy = MakeToy();
  XgboostParams params = SmallParams();
  params.tree_method = "no_such_method";
  auto model = XgboostClassifier::Train(params, toy.matrix(), toy.labels);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message().rfind("xgboost: ", 0), 0U) << model.status().message();
  EXPECT_NE(model.status().message().find("no_such_method"), std::string::npos)
      << model.status().message();

  auto loaded = XgboostClassifier::LoadFromJson("{not json");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message().rfind("xgboost: loading the model: ", 0), 0U)
      << loaded.status().message();
}

// XGBoost's own message runs to a dozen lines (the input around the fault, a
// native stack trace) behind a "[time] source:line: " prefix; only its first
// line, without the prefix, is kept.
TEST(XgboostClassifierTest, XgboostErrorsAreOneLine) {
  auto loaded = XgboostClassifier::LoadFromJson("{not json");
  ASSERT_FALSE(loaded.ok());
  const std::string& message = loaded.status().message();
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  // XGBoost 1.7 says: Expecting: "L", got: "n ", around character position: 2
  EXPECT_EQ(message.rfind("xgboost: loading the model: Expecting: ", 0), 0U) << message;
}

TEST(XgboostClassifierTest, RejectsLabelsOutOfRange) {
  Toy toy = MakeToy();
  toy.labels[4] = 3;
  auto model = XgboostClassifier::Train(SmallParams(), toy.matrix(), toy.labels);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(), "label 3 is outside 0..2");
}

}  // namespace
}  // namespace conveyor::ml
