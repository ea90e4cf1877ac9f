#include "ml/tree_ensemble.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "ml/xgboost_classifier.h"
#include "testing/temp_dir.h"

namespace conveyor::ml {
namespace {

using Json = nlohmann::json;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A model document in XGBoost's layout with the given trees (each a JSON
// object of node arrays) and tree classes.
Json Document(std::vector<Json> trees, std::vector<int> classes, int num_class = 2,
              int num_feature = 2) {
  Json doc;
  doc["learner"]["objective"]["name"] = "multi:softprob";
  doc["learner"]["learner_model_param"] = {{"base_score", "5E-1"},
                                           {"num_class", std::to_string(num_class)},
                                           {"num_feature", std::to_string(num_feature)},
                                           {"num_target", "1"}};
  doc["learner"]["gradient_booster"]["name"] = "gbtree";
  doc["learner"]["gradient_booster"]["model"]["trees"] = std::move(trees);
  doc["learner"]["gradient_booster"]["model"]["tree_info"] = std::move(classes);
  return doc;
}

// One split on `feature` at `threshold`: left leaf `l`, right leaf `r`.
Json Stump(int feature, float threshold, float l, float r, bool default_left) {
  return {{"left_children", {1, -1, -1}},
          {"right_children", {2, -1, -1}},
          {"split_indices", {feature, 0, 0}},
          {"split_conditions", {threshold, l, r}},
          {"default_left", {default_left ? 1 : 0, 0, 0}},
          {"split_type", {0, 0, 0}}};
}

// Through UBJSON, and checks that JSON text compiles to the same forest.
Result<TreeEnsemble> Compile(const Json& doc) {
  const std::vector<uint8_t> bytes = Json::to_ubjson(doc);
  auto from_ubjson = TreeEnsemble::FromXgboostModel(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  auto from_text = TreeEnsemble::FromXgboostModel(doc.dump());
  EXPECT_EQ(from_ubjson.ok(), from_text.ok());
  if (from_ubjson.ok() && from_text.ok()) {
    EXPECT_EQ(from_ubjson->num_nodes(), from_text->num_nodes());
  } else if (!from_ubjson.ok() && !from_text.ok()) {
    EXPECT_EQ(from_ubjson.status().message(), from_text.status().message());
  }
  return from_ubjson;
}

std::vector<float> Proba(const TreeEnsemble& model, std::vector<float> row) {
  std::vector<float> out(static_cast<size_t>(model.num_classes()));
  const DenseMatrix m{1, row.size(), row};
  EXPECT_TRUE(model.PredictProba(m, out).ok());
  return out;
}

// Class 1's probability for margins (0.5, 0.5 + delta).
float Softmax1(float delta) {
  const float e = std::exp(-std::fabs(delta));
  return delta >= 0 ? 1.0F / (1.0F + e) : e / (1.0F + e);
}

TEST(TreeEnsembleTest, FollowsXgboostsComparisonAndDefaultDirection) {
  // Tree 0 (class 1): feature 0 < 1 goes left (+1), else right (-1);
  // missing goes left. Tree 1 (class 1): feature 1 < 0, missing goes right.
  auto model = Compile(
      Document({Stump(0, 1.0F, 1.0F, -1.0F, true), Stump(1, 0.0F, 0.25F, 0.5F, false)}, {1, 1}));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->num_trees(), 2U);
  EXPECT_EQ(model->max_depth(), 1);
  // Below the threshold: left; exactly at it: right (value < threshold fails).
  EXPECT_FLOAT_EQ(Proba(*model, {0.5F, 1.0F})[1], Softmax1(1.0F + 0.5F));
  EXPECT_FLOAT_EQ(Proba(*model, {1.0F, 1.0F})[1], Softmax1(-1.0F + 0.5F));
  EXPECT_FLOAT_EQ(Proba(*model, {1.0F, -1.0F})[1], Softmax1(-1.0F + 0.25F));
  // Missing values follow each node's default direction.
  EXPECT_FLOAT_EQ(Proba(*model, {kNaN, kNaN})[1], Softmax1(1.0F + 0.5F));
  // Infinities are ordinary values.
  EXPECT_FLOAT_EQ(Proba(*model, {std::numeric_limits<float>::infinity(), 1.0F})[1],
                  Softmax1(-1.0F + 0.5F));
  const std::vector<float> p = Proba(*model, {0.5F, 1.0F});
  EXPECT_FLOAT_EQ(p[0] + p[1], 1.0F);
}

TEST(TreeEnsembleTest, AcceptsASingleLeafTreeAndPadsPartialGroups) {
  const Json leaf = {{"left_children", {-1}}, {"right_children", {-1}},
                     {"split_indices", {0}},  {"split_conditions", {0.75F}},
                     {"default_left", {0}},   {"split_type", {0}}};
  // Nine trees: one full group of eight and one of one.
  std::vector<Json> trees(9, leaf);
  auto model = Compile(Document(trees, {0, 1, 0, 1, 0, 1, 0, 1, 0}));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->max_depth(), 0);
  // Class 0 gets 5 leaves, class 1 four: margins differ by 0.75.
  EXPECT_FLOAT_EQ(Proba(*model, {0.0F, 0.0F})[1], Softmax1(-0.75F));
}

TEST(TreeEnsembleTest, RejectsWhatItCannotCompileByName) {
  struct Case {
    const char* what;
    Json doc;
    const char* message;
  };
  Json objective = Document({Stump(0, 1, 1, -1, true)}, {0});
  objective["learner"]["objective"]["name"] = "binary:logistic";
  Json dart = Document({Stump(0, 1, 1, -1, true)}, {0});
  dart["learner"]["gradient_booster"]["name"] = "dart";
  Json categorical = Document({Stump(0, 1, 1, -1, true)}, {0});
  categorical["learner"]["gradient_booster"]["model"]["trees"][0]["split_type"] = {1, 0, 0};
  Json cycle = Document({Stump(0, 1, 1, -1, true)}, {0});
  cycle["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"] = {0, -1, -1};
  Json feature = Document({Stump(7, 1, 1, -1, true)}, {0});
  Json klass = Document({Stump(0, 1, 1, -1, true)}, {5});
  Json lengths = Document({Stump(0, 1, 1, -1, true)}, {0});
  lengths["learner"]["gradient_booster"]["model"]["trees"][0]["default_left"] = {0};
  Json nan_threshold = Document({Stump(0, kNaN, 1, -1, true)}, {0});
  Json base = Document({Stump(0, 1, 1, -1, true)}, {0});
  base["learner"]["learner_model_param"]["base_score"] = "half";
  const Case cases[] = {
      {"objective", objective, "objective \"binary:logistic\" is not supported"},
      {"dart", dart, "booster \"dart\" is not supported"},
      {"categorical", categorical, "a categorical split is not supported"},
      {"cycle", cycle, "tree 0: node 0 is reached twice"},
      {"feature", feature, "tree 0: node 0 splits on feature 7 of 2"},
      {"class", klass, "tree 0 belongs to no class 0..1"},
      {"lengths", lengths, "tree 0 has node arrays of different lengths"},
      {"nan threshold", nan_threshold, "a NaN split threshold is not supported"},
      {"base_score", base, "\"base_score\" is not a number: \"half\""},
  };
  for (const Case& c : cases) {
    auto model = Compile(c.doc);
    ASSERT_FALSE(model.ok()) << c.what;
    EXPECT_NE(model.status().message().find(c.message), std::string::npos)
        << c.what << ": " << model.status().message();
  }
  auto model = TreeEnsemble::FromXgboostModel("{x\xff");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("cannot read the UBJSON document"), std::string::npos)
      << model.status().message();
  model = TreeEnsemble::FromXgboostModel(R"({"learner": [)");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("cannot read the JSON document"), std::string::npos)
      << model.status().message();
  model = TreeEnsemble::FromXgboostModel("{}");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("no objective name"), std::string::npos)
      << model.status().message();
}

TEST(TreeEnsembleTest, ChecksTheRowWidth) {
  auto model = Compile(Document({Stump(0, 1, 1, -1, true)}, {0}));
  ASSERT_TRUE(model.ok());
  std::vector<float> row = {1, 2, 3};
  std::vector<float> out(2);
  const Status status = model->PredictProba({1, 3, row}, out);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("the model takes 2 features, the rows have 3"),
            std::string::npos);
}

// A trained XGBoost model: 4 classes, depth 5 trees over 12 features, with
// missing values in training so that default directions vary.
struct Trained {
  std::unique_ptr<XgboostClassifier> model;
  std::vector<float> rows;  // 400 rows, some with NaN and infinities
  size_t cols = 12;
  DenseMatrix matrix() const { return {rows.size() / cols, cols, rows}; }
};

Trained Train() {
  Trained t;
  std::mt19937 random(7);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int i = 0; i < 600; ++i) {
    float sum = 0;
    for (size_t f = 0; f < t.cols; ++f) {
      float v = normal(random);
      sum += v * static_cast<float>(f % 3);
      if (random() % 10 == 0) {
        v = kNaN;
      }
      x.push_back(v);
    }
    y.push_back(sum < -1 ? 0 : sum < 0 ? 1 : sum < 1 ? 2 : 3);
  }
  XgboostParams params{.num_class = 4, .n_estimators = 30, .max_depth = 5, .nthread = 1};
  auto model = XgboostClassifier::Train(params, {y.size(), t.cols, x}, y);
  EXPECT_TRUE(model.ok()) << model.status().message();
  t.model = std::move(*model);
  for (int i = 0; i < 400; ++i) {
    for (size_t f = 0; f < t.cols; ++f) {
      float v = normal(random) * 1.5F;
      if (i % 5 == 0 && random() % 4 == 0) {
        v = kNaN;
      }
      if (i % 50 == 1 && f == 3) {
        v = (i % 100 == 1 ? 1.0F : -1.0F) * std::numeric_limits<float>::infinity();
      }
      t.rows.push_back(v);
    }
  }
  return t;
}

TEST(TreeEnsembleTest, GivesXgboostsProbabilitiesBitForBit) {
  Trained t = Train();
  testing::TempDir dir;
  ASSERT_TRUE(t.model->Save(dir / "model.json").ok());
  auto loaded = XgboostClassifier::Load(dir / "model.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ((*loaded)->predictor(), "compiled");

  auto compiled = (*loaded)->PredictProba(t.matrix());
  auto library = (*loaded)->PredictProbaWithXgboost(t.matrix());
  ASSERT_TRUE(compiled.ok() && library.ok());
  ASSERT_EQ(compiled->size(), library->size());
  size_t differing = 0;
  for (size_t i = 0; i < compiled->size(); ++i) {
    differing += (*compiled)[i] != (*library)[i] ? 1 : 0;
  }
  EXPECT_EQ(differing, 0U) << "of " << compiled->size() << " probabilities";

  // One row at a time, as the server predicts, gives the same.
  for (size_t r = 0; r < 20; ++r) {
    const DenseMatrix one{1, t.cols, std::span<const float>(t.rows).subspan(r * t.cols, t.cols)};
    auto single = (*loaded)->PredictProba(one);
    ASSERT_TRUE(single.ok());
    for (size_t c = 0; c < 4; ++c) {
      EXPECT_EQ((*single)[c], (*library)[r * 4 + c]);
    }
  }
}

TEST(TreeEnsembleTest, TheEnvironmentCanChooseXgboostsPredictor) {
  Trained t = Train();
  testing::TempDir dir;
  ASSERT_TRUE(t.model->Save(dir / "model.json").ok());
  ::setenv("CONVEYOR_XGBOOST_PREDICTOR", "xgboost", 1);
  auto loaded = XgboostClassifier::Load(dir / "model.json");
  ::unsetenv("CONVEYOR_XGBOOST_PREDICTOR");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->predictor(), "xgboost (CONVEYOR_XGBOOST_PREDICTOR=xgboost)");
  auto proba = (*loaded)->PredictProba(t.matrix());
  ASSERT_TRUE(proba.ok());
  EXPECT_EQ(proba->size(), 400U * 4U);
}

TEST(TreeEnsembleTest, ProbeRowsHitThresholdsAndMissingValues) {
  auto model =
      Compile(Document({Stump(0, 1.0F, 1, -1, true), Stump(1, -2.0F, 1, -1, true)}, {0, 1}));
  ASSERT_TRUE(model.ok());
  const std::vector<float> rows = model->ProbeRows(64, 1);
  ASSERT_EQ(rows.size(), 64U * 2U);
  size_t at = 0;
  size_t below = 0;
  size_t missing = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const float threshold = i % 2 == 0 ? 1.0F : -2.0F;
    at += rows[i] == threshold ? 1 : 0;
    below += rows[i] == std::nextafter(threshold, -INFINITY) ? 1 : 0;
    missing += std::isnan(rows[i]) ? 1 : 0;
  }
  EXPECT_GT(at, 0U);
  EXPECT_GT(below, 0U);
  EXPECT_GT(missing, 0U);
  const std::vector<float> again = model->ProbeRows(64, 1);
  EXPECT_EQ(std::memcmp(again.data(), rows.data(), rows.size() * sizeof(float)), 0);
}

}  // namespace
}  // namespace conveyor::ml
