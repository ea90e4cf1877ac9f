// Classifier: the backend-neutral prediction interface of a trained model, and
// LoadClassifier, which picks the backend named by model.yaml (model_spec.h).
//
// Backends: "xgboost" (xgboost_classifier.h, XGBoost JSON) and "onnx"
// (onnx_classifier.h, an ONNX graph run by OpenCV's DNN module). Adding one is
// a file pair implementing Classifier plus one line in the table in
// classifier.cc; ClassifierBackends() lists them for model.yaml validation.
//
// Ownership: LoadClassifier returns an owning pointer; the model holds no
// reference to the spec or the directory after loading.
// Thread safety: see each backend; PredictProba and Predict are const and
// every backend allows concurrent calls to them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor::ml {

struct ModelSpec;

// Rows x features dense float matrix (row-major) and one label per row.
struct DenseMatrix {
  size_t rows = 0;
  size_t cols = 0;
  std::span<const float> values;  // rows * cols, not owned
};

class Classifier {
 public:
  virtual ~Classifier() = default;

  // Class probabilities, rows x num_classes() row-major; each row sums to 1.
  virtual Result<std::vector<float>> PredictProba(const DenseMatrix& features) const = 0;
  // The most probable class of each row (the lowest index on ties).
  Result<std::vector<int32_t>> Predict(const DenseMatrix& features) const;

  virtual int num_classes() const = 0;
};

// The backend names LoadClassifier knows, in registration order.
std::vector<std::string_view> ClassifierBackends();

// Loads `model_dir / spec.model_file` with the backend `spec.backend` and
// checks that it has one class per label of the spec. Errors name the file:
// "model/model.yaml: 10 labels but the model has 3 classes",
// "model/model.yaml: unknown backend 'torch' (known: xgboost, onnx)".
Result<std::unique_ptr<Classifier>> LoadClassifier(const ModelSpec& spec,
                                                   const std::filesystem::path& model_dir);

}  // namespace conveyor::ml
