// OnnxClassifier: an image classifier exported to ONNX (e.g. from PyTorch),
// run with OpenCV's DNN module, which is kept out of this header.
//
// The graph contract: one input of shape [N, 1, rows, cols] (float32, the
// preprocessed pixels, row-major as in DenseMatrix) and one output of shape
// [N, K] holding class probabilities, i.e. the softmax is part of the graph.
// Opset 11 is known to load in OpenCV 4.6 (the digits-cnn example and the
// test fixture testdata/tiny_classifier.onnx use it).
//
// Ownership: the object owns its network.
// Thread safety: PredictProba may be called from several threads at once;
// cv::dnn::Net::forward is not reentrant, so calls are serialised by an
// internal mutex.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "common/status.h"
#include "ml/classifier.h"

namespace conveyor::ml {

// The shape of one input image; features per row must be rows * cols.
struct OnnxInput {
  int rows = 20;
  int cols = 20;
};

class OnnxClassifier : public Classifier {
 public:
  // Loads an ONNX file, runs one blank image through it and takes the
  // number of classes from the output. Errors name the file:
  // "m.onnx: cannot load ONNX model: ...", "m.onnx: output shape [1x3x4]
  // is not [N, classes]".
  static Result<std::unique_ptr<OnnxClassifier>> Load(const std::filesystem::path& path,
                                                      OnnxInput input);

  ~OnnxClassifier() override;
  OnnxClassifier(const OnnxClassifier&) = delete;
  OnnxClassifier& operator=(const OnnxClassifier&) = delete;

  // Errors: "input has 399 features per row, expected 400 (20x20)".
  Result<std::vector<float>> PredictProba(const DenseMatrix& features) const override;

  int num_classes() const override { return num_classes_; }

 private:
  struct Net;  // cv::dnn::Net and the mutex guarding it
  OnnxClassifier(std::unique_ptr<Net> net, OnnxInput input, int num_classes);

  // Constant after construction.
  std::unique_ptr<Net> net_;
  OnnxInput input_;
  int num_classes_;
};

}  // namespace conveyor::ml
