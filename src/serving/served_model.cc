#include "serving/served_model.h"

#include <cmath>

namespace conveyor::serving {

std::string ModelIdentity::ToString() const {
  std::string out = version > 0 ? fmt::format("{} v{}", name, version) : name;
  if (!experiment_tag.empty()) {
    out += fmt::format(" ({})", experiment_tag);
  }
  return out;
}

Result<std::unique_ptr<ServedModel>> ServedModel::Create(
    ModelIdentity identity, ml::ModelSpec spec, std::unique_ptr<ml::Classifier> classifier,
    std::chrono::system_clock::time_point loaded_at) {
  if (classifier == nullptr) {
    return Error(Code::kInvalid, "{}: no classifier", identity.ToString());
  }
  if (static_cast<size_t>(classifier->num_classes()) != spec.labels.size()) {
    return Error(Code::kInvalid, "{}: model.yaml has {} labels but the model has {} classes",
                 identity.ToString(), spec.labels.size(), classifier->num_classes());
  }
  std::unique_ptr<ServedModel> model(new ServedModel());
  model->identity_ = std::move(identity);
  model->spec_ = std::move(spec);
  model->classifier_ = std::move(classifier);
  model->loaded_at_ = loaded_at;
  return model;
}

Result<std::vector<Prediction>> ServedModel::Predict(const FeatureRows& rows) const {
  const size_t expected =
      static_cast<size_t>(spec_.input.rows) * static_cast<size_t>(spec_.input.cols);
  if (rows.cols != expected || rows.values.size() != rows.rows * rows.cols) {
    return Error(Code::kInvalid, "{}: input has {} features per row, expected {}",
                 identity_.ToString(), rows.cols, expected);
  }
  if (rows.rows == 0) {
    return std::vector<Prediction>();
  }
  Result<std::vector<float>> proba = classifier_->PredictProba(rows.matrix());
  if (!proba.ok()) {
    return Error(Code::kFailed, "{}: prediction failed: {}", identity_.ToString(),
                 proba.status().message());
  }
  const size_t k = spec_.labels.size();
  if (proba->size() != rows.rows * k) {
    return Error(Code::kFailed, "{}: the model returned {} probabilities for {} rows of {} classes",
                 identity_.ToString(), proba->size(), rows.rows, k);
  }
  std::vector<Prediction> out(rows.rows);
  for (size_t r = 0; r < rows.rows; ++r) {
    Prediction& p = out[r];
    p.probabilities.assign(proba->begin() + static_cast<ptrdiff_t>(r * k),
                           proba->begin() + static_cast<ptrdiff_t>((r + 1) * k));
    size_t best = 0;
    for (size_t c = 0; c < k; ++c) {
      if (!std::isfinite(p.probabilities[c])) {
        return Error(Code::kFailed, "{}: row {}: probability of class '{}' is not finite",
                     identity_.ToString(), r, spec_.labels[c]);
      }
      if (p.probabilities[c] > p.probabilities[best]) {
        best = c;
      }
    }
    p.class_index = static_cast<int>(best);
    p.label = spec_.labels[best];
  }
  return out;
}

Result<Prediction> ServedModel::Predict(std::span<const float> features) const {
  FeatureRows rows;
  rows.rows = 1;
  rows.cols = features.size();
  rows.values.assign(features.begin(), features.end());
  ASSIGN_OR_RETURN(std::vector<Prediction> predictions, Predict(rows));
  return std::move(predictions.front());
}

Status ServedModel::Check() const {
  const std::vector<float> raw(spec_.sample_input.pixels.begin(), spec_.sample_input.pixels.end());
  InputResult features = RawFeatures(spec_, raw);
  if (!features.ok()) {
    return Error(Code::kFailed, "{}: sample input: {}", identity_.ToString(),
                 features.error().message);
  }
  ASSIGN_OR_RETURN(std::vector<Prediction> predictions, Predict(features.value()));
  const Prediction& p = predictions.front();
  if (p.label != spec_.sample_input.expected_label) {
    return Error(Code::kFailed, "{}: sample input predicted '{}', model.yaml expects '{}'",
                 identity_.ToString(), p.label, spec_.sample_input.expected_label);
  }
  return OkStatus();
}

Status ServedModel::Warm(int n) const {
  const std::vector<float> raw(spec_.sample_input.pixels.begin(), spec_.sample_input.pixels.end());
  InputResult features = RawFeatures(spec_, raw);
  if (!features.ok()) {
    return Error(Code::kFailed, "{}: warm-up: {}", identity_.ToString(), features.error().message);
  }
  for (int i = 0; i < n; ++i) {
    Result<std::vector<Prediction>> predictions = Predict(features.value());
    if (!predictions.ok()) {
      return predictions.status().WithContext("warm-up");
    }
  }
  return OkStatus();
}

}  // namespace conveyor::serving
