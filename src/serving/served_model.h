// ServedModel: one loaded model version as the server holds it — who it is
// (name, version, experiment tag, md5), its spec, its classifier — with
// prediction, a self-check against the spec's sample input, and warm-up.
//
// Ownership: owns the classifier. Made by a ModelLoader (model_loader.h),
// published by the ModelManager (model_manager.h) as a
// shared_ptr<const ServedModel> that request handlers hold for one request.
// Thread safety: immutable after Create; every const method may run on many
// threads at once (Classifier::PredictProba is const and thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "ml/classifier.h"
#include "ml/model_spec.h"
#include "serving/model_input.h"

namespace conveyor::serving {

// Which registered model version this is.
struct ModelIdentity {
  std::string name;            // registry model name ("digits")
  int version = 0;             // registry version; 0 when not from a registry
  std::string experiment_tag;  // the experiment that produced it; may be empty
  std::string md5;             // the cache object ("<hex>.dir")
  std::string reference;       // what was asked for ("digits@production")

  // "digits v3 (a1b2c3d)" or "digits v3".
  std::string ToString() const;
};

struct Prediction {
  int class_index = 0;
  std::string label;
  std::vector<float> probabilities;  // one per label, sums to 1
};

class ServedModel {
 public:
  // Fails (kInvalid) when the classifier's class count differs from the
  // spec's labels, or `classifier` is null.
  static Result<std::unique_ptr<ServedModel>> Create(
      ModelIdentity identity, ml::ModelSpec spec, std::unique_ptr<ml::Classifier> classifier,
      std::chrono::system_clock::time_point loaded_at = std::chrono::system_clock::now());

  const ModelIdentity& identity() const { return identity_; }
  const ml::ModelSpec& spec() const { return spec_; }
  std::chrono::system_clock::time_point loaded_at() const { return loaded_at_; }

  // One prediction per row. kInvalid when rows.cols is not the feature count
  // the spec implies (height * width); kFailed when the classifier fails or
  // returns a probability that is not finite.
  Result<std::vector<Prediction>> Predict(const FeatureRows& rows) const;
  // One row of features (already preprocessed).
  Result<Prediction> Predict(std::span<const float> features) const;

  // Runs the spec's sample input end to end (preprocessing included) and
  // fails (kFailed) unless the prediction is finite and equals
  // sample_input.expected_label: "digits v3: sample input predicted '4',
  // model.yaml expects '7'".
  Status Check() const;

  // `n` predictions on the sample input, so that lazy initialisation in the
  // backend happens before the first request.
  Status Warm(int n) const;

 private:
  ServedModel() = default;

  // Constant after Create.
  ModelIdentity identity_;
  ml::ModelSpec spec_;
  std::unique_ptr<ml::Classifier> classifier_;
  std::chrono::system_clock::time_point loaded_at_;
};

}  // namespace conveyor::serving
