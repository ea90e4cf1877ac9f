// OnnxClassifier: an image classifier exported to ONNX (e.g. from PyTorch),
// run with OpenCV's DNN module, which is kept out of this header.
//
// The graph contract: one input of shape [N, 1, rows, cols] (float32, the
// preprocessed pixels, row-major as in DenseMatrix) and one output of shape
// [N, K] holding class probabilities, i.e. the softmax is part of the graph.
// Opset 11 is known to load in OpenCV 4.6 (the digits-cnn example and the
// test fixture testdata/tiny_classifier.onnx use it).
//
// Ownership: the object owns its networks and a copy of the model file's bytes.
// Thread safety: PredictProba may be called from several threads at once.
// cv::dnn::Net::forward is not reentrant (a net keeps its blobs between
// layers), so each concurrent caller borrows a network of its own from a pool:
// the pool starts with the one network Load built and grows, from the bytes in
// memory, to the number of callers that ever ran at the same time (the server's
// thread count), so no request waits for another's inference.
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

  // Networks built so far (the most callers that ran at once, at least 1).
  size_t networks() const;

 private:
  class Pool;  // the model bytes and the idle cv::dnn::Net objects
  OnnxClassifier(std::unique_ptr<Pool> pool, OnnxInput input, int num_classes);

  // Constant after construction (the pool synchronises itself).
  std::unique_ptr<Pool> pool_;
  OnnxInput input_;
  int num_classes_;
};

}  // namespace conveyor::ml
