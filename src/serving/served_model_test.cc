#include "serving/served_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ml/gray_image.h"
#include "serving/test_digits_model.h"

namespace conveyor::serving {
namespace {

// Trained once for the whole suite.
const testing::DigitsModel& Digits() {
  static const testing::DigitsModel* model = new testing::DigitsModel(testing::TrainDigitsModel());
  return *model;
}

// The digits model behind a ServedModel; the classifier is re-loaded from
// its JSON so that each test owns one.
std::unique_ptr<ServedModel> Serve(ml::ModelSpec spec) {
  auto json = Digits().classifier->SaveToJson();
  EXPECT_TRUE(json.ok());
  auto classifier = ml::XgboostClassifier::LoadFromJson(*json);
  EXPECT_TRUE(classifier.ok());
  auto model = ServedModel::Create({.name = "digits", .version = 3, .experiment_tag = "a1b2c3d"},
                                   std::move(spec), std::move(*classifier));
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(*model);
}

TEST(ServedModelTest, PredictsTheSampleImageUploadedAsPng) {
  std::unique_ptr<ServedModel> model = Serve(Digits().spec);
  ASSERT_TRUE(model->Check().ok()) << model->Check().message();
  ASSERT_TRUE(model->Warm(3).ok());

  // The sample input as an uploaded PNG: the same features as training.
  ml::GrayImage image = ml::MakeGrayImage(20, 20);
  for (size_t i = 0; i < 400; ++i) {
    image.pixels[i] = static_cast<uint8_t>(Digits().spec.sample_input.pixels[i]);
  }
  auto png = ml::EncodePng(image);
  ASSERT_TRUE(png.ok());
  InputResult rows = DecodeModelInput(model->spec(), "image/png", *png);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  const std::vector<float> raw(image.pixels.begin(), image.pixels.end());
  EXPECT_EQ(rows.value().values, *ml::ApplyPreprocessing(model->spec().input, raw));

  auto predictions = model->Predict(rows.value());
  ASSERT_TRUE(predictions.ok()) << predictions.status().message();
  ASSERT_EQ(predictions->size(), 1U);
  const Prediction& p = predictions->front();
  EXPECT_EQ(p.label, Digits().spec.sample_input.expected_label);
  EXPECT_EQ(p.label, model->spec().labels[static_cast<size_t>(p.class_index)]);
  ASSERT_EQ(p.probabilities.size(), 10U);
  float sum = 0;
  for (float v : p.probabilities) {
    sum += v;
  }
  EXPECT_NEAR(sum, 1.0F, 1e-4);
  EXPECT_EQ(model->identity().ToString(), "digits v3 (a1b2c3d)");
}

TEST(ServedModelTest, ClassifiesMostTrainingImages) {
  std::unique_ptr<ServedModel> model = Serve(Digits().spec);
  size_t right = 0;
  for (size_t i = 0; i < Digits().images.size(); ++i) {
    InputResult rows = ImageFeatures(model->spec(), Digits().images[i]);
    ASSERT_TRUE(rows.ok());
    auto p = model->Predict(rows.value().row(0));
    ASSERT_TRUE(p.ok());
    right += p->class_index == Digits().labels[i] ? 1 : 0;
  }
  EXPECT_GT(right * 10, Digits().images.size() * 9);
}

TEST(ServedModelTest, CheckFailsWhenTheSampleDisagrees) {
  ml::ModelSpec spec = Digits().spec;
  const std::string expected = spec.sample_input.expected_label;
  spec.sample_input.expected_label = expected == "4" ? "5" : "4";
  std::unique_ptr<ServedModel> model = Serve(spec);
  Status status = model->Check();
  EXPECT_EQ(status.code(), Code::kFailed);
  EXPECT_EQ(status.message(), fmt::format("digits v3 (a1b2c3d): sample input predicted '{}', "
                                          "model.yaml expects '{}'",
                                          expected, spec.sample_input.expected_label));

  spec.sample_input.pixels.resize(10);
  EXPECT_EQ(Serve(spec)->Check().message(),
            "digits v3 (a1b2c3d): sample input: input has 10 pixels, expected 400 (20x20)");
}

class NanClassifier : public ml::Classifier {
 public:
  Result<std::vector<float>> PredictProba(const ml::DenseMatrix& features) const override {
    return std::vector<float>(features.rows * 10, std::numeric_limits<float>::quiet_NaN());
  }
  int num_classes() const override { return 10; }
};

TEST(ServedModelTest, NonFiniteProbabilitiesFail) {
  auto model =
      ServedModel::Create({.name = "digits"}, Digits().spec, std::make_unique<NanClassifier>());
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->Check().message(), "digits: row 0: probability of class '0' is not finite");
}

TEST(ServedModelTest, CreateAndPredictValidateShapes) {
  ml::ModelSpec spec = Digits().spec;
  spec.labels.pop_back();
  auto json = Digits().classifier->SaveToJson();
  auto classifier = ml::XgboostClassifier::LoadFromJson(*json);
  ASSERT_TRUE(classifier.ok());
  auto bad = ServedModel::Create({.name = "digits", .version = 1}, spec, std::move(*classifier));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "digits v1: model.yaml has 9 labels but the model has 10 classes");

  std::unique_ptr<ServedModel> model = Serve(Digits().spec);
  const std::vector<float> short_row(399, 0.0F);
  auto p = model->Predict(short_row);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "digits v3 (a1b2c3d): input has 399 features per row, expected 400");
}

}  // namespace
}  // namespace conveyor::serving
