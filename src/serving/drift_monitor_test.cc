#include "serving/drift_monitor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "ml/psi.h"
#include "serving/test_digits_model.h"

namespace conveyor::serving {
namespace {

// A 2x2 "image" model with two classes whose training inputs had mean
// intensity 0.25 (one bright pixel of four) half the time and 0.75 the
// other half, classes 50/50.
class TwoClasses : public ml::Classifier {
 public:
  Result<std::vector<float>> PredictProba(const ml::DenseMatrix& features) const override {
    return std::vector<float>(features.rows * 2, 0.5F);
  }
  int num_classes() const override { return 2; }
};

std::unique_ptr<ServedModel> MakeModel(std::string name, bool with_reference = true) {
  ml::ModelSpec spec;
  spec.name = name;
  spec.labels = {"a", "b"};
  spec.input.rows = 2;
  spec.input.cols = 2;
  if (with_reference) {
    ml::SampleSet train;
    train.rows = 2;
    train.cols = 2;
    for (int i = 0; i < 100; ++i) {
      train.Add(0, std::vector<float>{1, 0, 0, 0});
      train.Add(1, std::vector<float>{1, 1, 1, 0});
    }
    auto reference = ml::ComputeReferenceStats(train, 2);
    EXPECT_TRUE(reference.ok()) << reference.status().message();
    spec.reference = *reference;
  }
  auto model = ServedModel::Create({.name = std::move(name), .version = 1}, spec,
                                   std::make_unique<TwoClasses>());
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(*model);
}

// `n` rows: `bright` of them with three bright pixels (mean 0.75), the rest
// with one (0.25); predictions follow the same split (class 1 for bright).
struct Batch {
  FeatureRows rows;
  std::vector<Prediction> predictions;
};
Batch MakeBatch(size_t n, size_t bright) {
  Batch batch;
  batch.rows.cols = 4;
  for (size_t i = 0; i < n; ++i) {
    const bool is_bright = i < bright;
    const std::vector<float> row =
        is_bright ? std::vector<float>{1, 1, 1, 0} : std::vector<float>{1, 0, 0, 0};
    batch.rows.values.insert(batch.rows.values.end(), row.begin(), row.end());
    ++batch.rows.rows;
    Prediction prediction;
    prediction.class_index = is_bright ? 1 : 0;
    prediction.probabilities = {0.5F, 0.5F};
    batch.predictions.push_back(prediction);
  }
  return batch;
}

TEST(DriftMonitorTest, NothingBeforeTheFirstModel) {
  DriftMonitor monitor;
  EXPECT_FALSE(monitor.Report().has_value());
  EXPECT_TRUE(monitor.Collect().empty());
}

TEST(DriftMonitorTest, TrafficLikeTrainingHasNoDrift) {
  DriftMonitor monitor({.window = 200, .min_samples = 100});
  std::unique_ptr<ServedModel> model = MakeModel("m");
  monitor.OnSwapped(*model);
  Batch batch = MakeBatch(200, 100);
  monitor.OnPredictions(*model, batch.predictions, batch.rows);
  std::optional<DriftReport> report = monitor.Report();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->model, "m");
  EXPECT_EQ(report->window_samples, 200u);
  ASSERT_TRUE(report->prediction_psi.has_value());
  EXPECT_NEAR(*report->prediction_psi, 0.0, 1e-12);
  EXPECT_NEAR(*report->mean_intensity_psi, 0.0, 1e-12);
  EXPECT_NEAR(*report->ink_fraction_psi, 0.0, 1e-12);
}

TEST(DriftMonitorTest, ShiftedTrafficCrossesTheSignificantBand) {
  DriftMonitor monitor({.window = 200, .min_samples = 100});
  std::unique_ptr<ServedModel> model = MakeModel("m");
  monitor.OnSwapped(*model);
  Batch batch = MakeBatch(200, 180);  // 90% bright against 50% in training
  monitor.OnPredictions(*model, batch.predictions, batch.rows);
  std::optional<DriftReport> report = monitor.Report();
  ASSERT_TRUE(report.has_value());
  // Two bins 0.5/0.5 against 0.1/0.9, by the formula.
  const double want = (0.1 - 0.5) * std::log(0.1 / 0.5) + (0.9 - 0.5) * std::log(0.9 / 0.5);
  EXPECT_NEAR(*report->prediction_psi, want, 1e-9);
  EXPECT_NEAR(*report->mean_intensity_psi, want, 1e-9);
  EXPECT_NEAR(*report->ink_fraction_psi, want, 1e-9);
  EXPECT_GT(*report->prediction_psi, ml::kPsiSignificant);
}

TEST(DriftMonitorTest, NoPsiBelowMinSamples) {
  DriftMonitor monitor({.window = 200, .min_samples = 100});
  std::unique_ptr<ServedModel> model = MakeModel("m");
  monitor.OnSwapped(*model);
  Batch batch = MakeBatch(99, 99);
  monitor.OnPredictions(*model, batch.predictions, batch.rows);
  std::optional<DriftReport> report = monitor.Report();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->window_samples, 99u);
  EXPECT_FALSE(report->prediction_psi.has_value());
  EXPECT_FALSE(report->mean_intensity_psi.has_value());
  std::vector<prometheus::MetricFamily> families = monitor.Collect();
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].name, "conveyor_drift_window_samples");
  EXPECT_EQ(families[0].metric.at(0).gauge.value, 99);
}

TEST(DriftMonitorTest, MinSamplesAboveTheWindowMeansAFullWindow) {
  DriftMonitor monitor({.window = 50, .min_samples = 100});
  std::unique_ptr<ServedModel> model = MakeModel("m");
  monitor.OnSwapped(*model);
  Batch batch = MakeBatch(60, 30);
  monitor.OnPredictions(*model, batch.predictions, batch.rows);
  std::optional<DriftReport> report = monitor.Report();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->window_samples, 50u);
  EXPECT_TRUE(report->prediction_psi.has_value());
}

TEST(DriftMonitorTest, ASwapEmptiesTheWindowAndIgnoresTheOldModel) {
  DriftMonitor monitor({.window = 100, .min_samples = 10});
  std::unique_ptr<ServedModel> old_model = MakeModel("old");
  std::unique_ptr<ServedModel> new_model = MakeModel("new");
  monitor.OnSwapped(*old_model);
  Batch batch = MakeBatch(50, 25);
  monitor.OnPredictions(*old_model, batch.predictions, batch.rows);
  monitor.OnSwapped(*new_model);
  EXPECT_EQ(monitor.Report()->window_samples, 0u);
  EXPECT_EQ(monitor.Report()->model, "new");
  // A request that began on the old model and finishes after the swap.
  monitor.OnPredictions(*old_model, batch.predictions, batch.rows);
  EXPECT_EQ(monitor.Report()->window_samples, 0u);
  monitor.OnPredictions(*new_model, batch.predictions, batch.rows);
  EXPECT_EQ(monitor.Report()->window_samples, 50u);
}

TEST(DriftMonitorTest, MismatchedRowCountsAreIgnored) {
  DriftMonitor monitor({.window = 100, .min_samples = 10});
  std::unique_ptr<ServedModel> model = MakeModel("m");
  monitor.OnSwapped(*model);
  Batch batch = MakeBatch(5, 2);
  batch.predictions.pop_back();
  monitor.OnPredictions(*model, batch.predictions, batch.rows);
  EXPECT_EQ(monitor.Report()->window_samples, 0u);
}

TEST(DriftMonitorTest, AModelWithoutReferenceGetsNoDriftSeries) {
  DriftMonitor monitor({.window = 100, .min_samples = 10});
  std::unique_ptr<ServedModel> model = MakeModel("bare", /*with_reference=*/false);
  monitor.OnSwapped(*model);
  EXPECT_FALSE(monitor.has_reference());
  Batch batch = MakeBatch(50, 25);
  monitor.OnPredictions(*model, batch.predictions, batch.rows);
  std::optional<DriftReport> report = monitor.Report();
  EXPECT_EQ(report->window_samples, 0u);
  EXPECT_FALSE(report->prediction_psi.has_value());
  EXPECT_TRUE(monitor.Collect().empty());
  // The next model has one: drift starts.
  std::unique_ptr<ServedModel> with = MakeModel("full");
  monitor.OnSwapped(*with);
  EXPECT_TRUE(monitor.has_reference());
  monitor.OnPredictions(*with, batch.predictions, batch.rows);
  EXPECT_EQ(monitor.Report()->window_samples, 50u);
}

TEST(DriftMonitorTest, CollectNamesAndLabelsTheGauges) {
  DriftMonitor monitor({.window = 100, .min_samples = 10});
  std::unique_ptr<ServedModel> model = MakeModel("m");
  monitor.OnSwapped(*model);
  Batch batch = MakeBatch(100, 90);
  monitor.OnPredictions(*model, batch.predictions, batch.rows);
  std::vector<prometheus::MetricFamily> families = monitor.Collect();
  ASSERT_EQ(families.size(), 3u);
  EXPECT_EQ(families[0].name, "conveyor_drift_window_samples");
  EXPECT_EQ(families[1].name, "conveyor_prediction_drift_psi");
  EXPECT_EQ(families[2].name, "conveyor_input_drift_psi");
  for (const prometheus::MetricFamily& family : families)
    EXPECT_EQ(family.type, prometheus::MetricType::Gauge) << family.name;
  ASSERT_EQ(families[2].metric.size(), 2u);
  EXPECT_EQ(families[2].metric[0].label.at(1).name, "statistic");
  EXPECT_EQ(families[2].metric[0].label.at(1).value, "mean_intensity");
  EXPECT_EQ(families[2].metric[1].label.at(1).value, "ink_fraction");
  EXPECT_GT(families[1].metric[0].gauge.value, ml::kPsiSignificant);
}

TEST(DriftMonitorTest, DigitsModelSeesInvertedImagesAsDrift) {
  // The digits fixture trained on real samples: its own training images
  // give a small PSI, the same images inverted a large one.
  testing::DigitsModel digits = testing::TrainDigitsModel();
  ASSERT_NE(digits.classifier, nullptr);
  auto model = ServedModel::Create({.name = "digits", .version = 1}, digits.spec,
                                   std::move(digits.classifier));
  ASSERT_TRUE(model.ok()) << model.status().message();
  for (const bool inverted : {false, true}) {
    DriftMonitor monitor({.window = 1000, .min_samples = 100});
    monitor.OnSwapped(**model);
    for (const ml::GrayImage& image : digits.images) {
      std::vector<int> pixels;
      for (uint8_t v : image.pixels)
        pixels.push_back(inverted ? 255 - v : v);
      std::vector<float> raw(pixels.begin(), pixels.end());
      InputResult input = RawFeatures((*model)->spec(), raw);
      ASSERT_TRUE(input.ok()) << input.error().message;
      auto predictions = (*model)->Predict(input.value());
      ASSERT_TRUE(predictions.ok()) << predictions.status().message();
      monitor.OnPredictions(**model, *predictions, input.value());
    }
    std::optional<DriftReport> report = monitor.Report();
    ASSERT_TRUE(report.has_value());
    ASSERT_TRUE(report->mean_intensity_psi.has_value()) << report->window_samples;
    if (inverted) {
      EXPECT_GT(*report->mean_intensity_psi, ml::kPsiSignificant);
      EXPECT_GT(*report->ink_fraction_psi, ml::kPsiSignificant);
    } else {
      EXPECT_LT(*report->mean_intensity_psi, ml::kPsiModerate);
      EXPECT_LT(*report->ink_fraction_psi, ml::kPsiModerate);
      EXPECT_LT(*report->prediction_psi, ml::kPsiModerate);
    }
  }
}

}  // namespace
}  // namespace conveyor::serving
