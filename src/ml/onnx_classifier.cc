#include "ml/onnx_classifier.h"

#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

namespace conveyor::ml {

struct OnnxClassifier::Net {
  std::string name;  // the file it was loaded from, for errors
  std::mutex mu;
  cv::dnn::Net net;  // guarded by mu
};

namespace {

std::string ShapeText(const cv::Mat& m) {
  std::string text;
  for (int d = 0; d < m.dims; ++d) {
    text += fmt::format("{}{}", d == 0 ? "" : "x", m.size[d]);
  }
  return "[" + text + "]";
}

// Runs `rows` images through `net`; the output Mat, or an error naming `name`.
Result<cv::Mat> Forward(cv::dnn::Net& net, std::span<const float> values, size_t rows,
                        OnnxInput input, const std::string& name) {
  const int sizes[] = {static_cast<int>(rows), 1, input.rows, input.cols};
  // The blob only views `values` (read-only) for the duration of the call.
  cv::Mat blob(4, sizes, CV_32F, const_cast<float*>(values.data()));
  try {
    net.setInput(blob);
    cv::Mat out = net.forward();
    if (out.dims != 2 || out.size[0] != static_cast<int>(rows) || out.type() != CV_32F) {
      return Error(Code::kInvalid, "{}: output shape {} is not [N, classes] float", name,
                   ShapeText(out));
    }
    return out.clone();
  } catch (const cv::Exception& e) {
    return Error(Code::kInvalid, "{}: inference failed: {}", name, e.what());
  }
}

}  // namespace

OnnxClassifier::OnnxClassifier(std::unique_ptr<Net> net, OnnxInput input, int num_classes)
    : net_(std::move(net)), input_(input), num_classes_(num_classes) {}

OnnxClassifier::~OnnxClassifier() = default;

Result<std::unique_ptr<OnnxClassifier>> OnnxClassifier::Load(const std::filesystem::path& path,
                                                             OnnxInput input) {
  const std::string name = path.string();
  if (input.rows <= 0 || input.cols <= 0) {
    return Error(Code::kInvalid, "{}: input size {}x{} is not positive", name, input.rows,
                 input.cols);
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error(Code::kNotFound, "{}: no such model file", name);
  }
  auto net = std::make_unique<Net>();
  net->name = name;
  try {
    net->net = cv::dnn::readNetFromONNX(name);
  } catch (const cv::Exception& e) {
    return Error(Code::kInvalid, "{}: cannot load ONNX model: {}", name, e.what());
  }
  if (net->net.empty()) {
    return Error(Code::kInvalid, "{}: cannot load ONNX model: empty network", name);
  }
  net->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  const std::vector<float> blank(static_cast<size_t>(input.rows) * input.cols, 0.0F);
  ASSIGN_OR_RETURN(cv::Mat out, Forward(net->net, blank, 1, input, name));
  if (out.size[1] < 2) {
    return Error(Code::kInvalid, "{}: output shape {} has fewer than 2 classes", name,
                 ShapeText(out));
  }
  return std::unique_ptr<OnnxClassifier>(new OnnxClassifier(std::move(net), input, out.size[1]));
}

Result<std::vector<float>> OnnxClassifier::PredictProba(const DenseMatrix& features) const {
  const auto expected = static_cast<size_t>(input_.rows) * static_cast<size_t>(input_.cols);
  if (features.cols != expected) {
    return Error(Code::kInvalid, "input has {} features per row, expected {} ({}x{})",
                 features.cols, expected, input_.rows, input_.cols);
  }
  if (features.values.size() != features.rows * features.cols) {
    return Error(Code::kInvalid, "input has {} values for {} rows of {}", features.values.size(),
                 features.rows, features.cols);
  }
  if (features.rows == 0) {
    return std::vector<float>{};
  }
  cv::Mat out;
  {
    const std::lock_guard<std::mutex> lock(net_->mu);
    ASSIGN_OR_RETURN(out, Forward(net_->net, features.values, features.rows, input_, net_->name));
  }
  if (out.size[1] != num_classes_) {
    return Error(Code::kInternal, "{}: output has {} classes, loaded with {}", net_->name,
                 out.size[1], num_classes_);
  }
  const auto* begin = out.ptr<float>();
  return std::vector<float>(begin, begin + out.total());
}

}  // namespace conveyor::ml
