// Test fixture (header-only, for serving_test): a small digits model made the
// way examples/digits makes the real one — 20x20 grayscale digits, deskew and
// 1/255 scaling through ml::ApplyPreprocessing, XGBoost multi:softprob, and a
// model.yaml whose sample input is a raw image the model classifies as its
// expected label. The digits are drawn with OpenCV's Hershey font at a few
// offsets and sizes, so no data file is needed; training takes well under a
// second.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ml/gray_image.h"
#include "ml/model_spec.h"
#include "ml/preprocessing.h"
#include "ml/reference_stats.h"
#include "ml/samples.h"
#include "ml/xgboost_classifier.h"

namespace conveyor::serving::testing {

struct DigitsModel {
  ml::ModelSpec spec;
  std::unique_ptr<ml::XgboostClassifier> classifier;
  std::vector<ml::GrayImage> images;  // the raw training images
  std::vector<int32_t> labels;
};

// Trains the model; fails the calling test (via ADD_FAILURE) and returns a
// model without a classifier if anything goes wrong.
inline DigitsModel TrainDigitsModel() {
  DigitsModel out;
  out.spec.name = "digits";
  out.spec.backend = "xgboost";
  out.spec.model_file = "model.json";
  out.spec.input = {.rows = 20, .cols = 20, .scale = 1.0 / 255.0, .deskew = true};
  for (int k = 0; k < 10; ++k) {
    out.spec.labels.push_back(std::to_string(k));
  }
  ml::SampleSet train{.rows = 20, .cols = 20};
  for (int digit = 0; digit < 10; ++digit) {
    for (int x = 2; x <= 7; ++x) {
      for (double scale : {0.55, 0.65, 0.75}) {
        ml::GrayImage image = ml::MakeGrayImage(20, 20);
        ml::DrawText(image, std::to_string(digit), x, 17, scale);
        const std::vector<float> raw(image.pixels.begin(), image.pixels.end());
        Result<std::vector<float>> features = ml::ApplyPreprocessing(out.spec.input, raw);
        if (!features.ok()) {
          ADD_FAILURE() << features.status().message();
          return out;
        }
        train.Add(digit, *features);
        out.images.push_back(std::move(image));
        out.labels.push_back(digit);
      }
    }
  }
  const ml::XgboostParams params{.num_class = 10,
                                 .n_estimators = 8,
                                 .max_depth = 3,
                                 .learning_rate = 0.5,
                                 .tree_method = "hist",
                                 .nthread = 1};
  const ml::DenseMatrix matrix{train.size(), train.features(), train.pixels};
  auto model = ml::XgboostClassifier::Train(params, matrix, train.labels);
  if (!model.ok()) {
    ADD_FAILURE() << model.status().message();
    return out;
  }
  auto predicted = (*model)->Predict(matrix);
  if (!predicted.ok()) {
    ADD_FAILURE() << predicted.status().message();
    return out;
  }
  // As digits-train does: the first sample the model gets right.
  size_t pick = 0;
  while (pick + 1 < train.size() && (*predicted)[pick] != train.labels[pick]) {
    ++pick;
  }
  for (uint8_t v : out.images[pick].pixels) {
    out.spec.sample_input.pixels.push_back(v);
  }
  out.spec.sample_input.expected_label = out.spec.labels[static_cast<size_t>((*predicted)[pick])];
  auto reference = ml::ComputeReferenceStats(train, 10);
  if (!reference.ok()) {
    ADD_FAILURE() << reference.status().message();
    return out;
  }
  out.spec.reference = *reference;
  out.spec.training_params = {{"objective", "multi:softprob"}};
  out.classifier = std::move(*model);
  return out;
}

// Writes model.json and model.yaml into `dir` (created).
inline void WriteDigitsModel(const DigitsModel& model, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(model.classifier != nullptr);
  Status saved = model.classifier->Save(dir / model.spec.model_file);
  ASSERT_TRUE(saved.ok()) << saved.message();
  Status written = ml::WriteModelSpec(dir / "model.yaml", model.spec);
  ASSERT_TRUE(written.ok()) << written.message();
}

}  // namespace conveyor::serving::testing
