#include "ml/onnx_classifier.h"

#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "common/file_util.h"

namespace conveyor::ml {

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

// Parses the ONNX bytes into a network for the CPU.
Result<std::unique_ptr<cv::dnn::Net>> BuildNet(const std::vector<uchar>& bytes,
                                               const std::string& name) {
  auto net = std::make_unique<cv::dnn::Net>();
  try {
    *net = cv::dnn::readNetFromONNX(bytes);
  } catch (const cv::Exception& e) {
    return Error(Code::kInvalid, "{}: cannot load ONNX model: {}", name, e.what());
  }
  if (net->empty()) {
    return Error(Code::kInvalid, "{}: cannot load ONNX model: empty network", name);
  }
  net->setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net->setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return net;
}

}  // namespace

class OnnxClassifier::Pool {
 public:
  Pool(std::string name, std::vector<uchar> bytes)
      : name_(std::move(name)), bytes_(std::move(bytes)) {}

  const std::string& name() const { return name_; }

  // An idle network, or a new one when every network is busy. Building one
  // happens outside the lock, so the other callers keep going meanwhile.
  Result<std::unique_ptr<cv::dnn::Net>> Borrow() {
    {
      const std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        auto net = std::move(idle_.back());
        idle_.pop_back();
        return net;
      }
    }
    ASSIGN_OR_RETURN(auto net, BuildNet(bytes_, name_));
    const std::lock_guard<std::mutex> lock(mu_);
    ++built_;
    return net;
  }

  void Return(std::unique_ptr<cv::dnn::Net> net) {
    const std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(net));
  }

  size_t built() const {
    const std::lock_guard<std::mutex> lock(mu_);
    return built_;
  }

 private:
  // Constant after construction.
  const std::string name_;          // the file it was loaded from, for errors
  const std::vector<uchar> bytes_;  // the ONNX model, to build more networks

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<cv::dnn::Net>> idle_;  // guarded by mu_
  size_t built_ = 0;                                 // guarded by mu_
};

OnnxClassifier::OnnxClassifier(std::unique_ptr<Pool> pool, OnnxInput input, int num_classes)
    : pool_(std::move(pool)), input_(input), num_classes_(num_classes) {}

OnnxClassifier::~OnnxClassifier() = default;

size_t OnnxClassifier::networks() const { return pool_->built(); }

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
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  auto pool = std::make_unique<Pool>(name, std::vector<uchar>(text.begin(), text.end()));
  // The first network: built and tried on a blank image here, so a broken
  // file fails the load, then left in the pool for the first request.
  ASSIGN_OR_RETURN(auto net, pool->Borrow());
  const std::vector<float> blank(static_cast<size_t>(input.rows) * input.cols, 0.0F);
  ASSIGN_OR_RETURN(cv::Mat out, Forward(*net, blank, 1, input, name));
  if (out.size[1] < 2) {
    return Error(Code::kInvalid, "{}: output shape {} has fewer than 2 classes", name,
                 ShapeText(out));
  }
  pool->Return(std::move(net));
  return std::unique_ptr<OnnxClassifier>(new OnnxClassifier(std::move(pool), input, out.size[1]));
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
  ASSIGN_OR_RETURN(std::unique_ptr<cv::dnn::Net> net, pool_->Borrow());
  auto out = Forward(*net, features.values, features.rows, input_, pool_->name());
  pool_->Return(std::move(net));
  if (!out.ok()) {
    return out.status();
  }
  if (out->size[1] != num_classes_) {
    return Error(Code::kInternal, "{}: output has {} classes, loaded with {}", pool_->name(),
                 out->size[1], num_classes_);
  }
  const auto* begin = out->ptr<float>();
  return std::vector<float>(begin, begin + out->total());
}

}  // namespace conveyor::ml
