#include "ml/gray_image.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/file_util.h"

namespace conveyor::ml {
namespace {

GrayImage FromMat(const cv::Mat& gray) {
  GrayImage image = MakeGrayImage(gray.rows, gray.cols);
  for (int r = 0; r < gray.rows; ++r) {
    const auto* row = gray.ptr<uint8_t>(r);
    std::copy(row, row + gray.cols, image.pixels.begin() + static_cast<ptrdiff_t>(r) * gray.cols);
  }
  return image;
}

Result<GrayImage> ToGray(const cv::Mat& decoded, std::string_view name) {
  if (decoded.empty()) {
    return Error(Code::kInvalid, "{}: cannot decode image", name);
  }
  cv::Mat gray;
  if (decoded.channels() == 1) {
    gray = decoded;
  } else if (decoded.channels() == 3) {
    cv::cvtColor(decoded, gray, cv::COLOR_BGR2GRAY);
  } else {
    cv::cvtColor(decoded, gray, cv::COLOR_BGRA2GRAY);
  }
  if (gray.depth() != CV_8U) {
    cv::Mat eight;
    gray.convertTo(eight, CV_8U);
    gray = eight;
  }
  return FromMat(gray);
}

}  // namespace

GrayImage MakeGrayImage(int rows, int cols, uint8_t value) {
  GrayImage image;
  image.rows = rows;
  image.cols = cols;
  image.pixels.assign(static_cast<size_t>(rows) * static_cast<size_t>(cols), value);
  return image;
}

Result<GrayImage> ReadGrayImage(const std::filesystem::path& path) {
  try {
    return ToGray(cv::imread(path.string(), cv::IMREAD_UNCHANGED), path.string());
  } catch (const cv::Exception& e) {
    return Error(Code::kInvalid, "{}: cannot decode image: {}", path.string(), e.what());
  }
}

Result<GrayImage> DecodeGrayImage(std::string_view bytes, std::string_view name) {
  try {
    std::vector<uint8_t> buffer(bytes.begin(), bytes.end());
    if (buffer.empty()) {
      return Error(Code::kInvalid, "{}: cannot decode image", name);
    }
    return ToGray(cv::imdecode(buffer, cv::IMREAD_UNCHANGED), name);
  } catch (const cv::Exception& e) {
    return Error(Code::kInvalid, "{}: cannot decode image: {}", name, e.what());
  }
}

Result<std::string> EncodePng(const GrayImage& image) {
  try {
    cv::Mat mat(image.rows, image.cols, CV_8UC1, const_cast<uint8_t*>(image.pixels.data()));
    std::vector<uint8_t> out;
    if (!cv::imencode(".png", mat, out)) {
      return Error(Code::kInternal, "cannot encode a {}x{} PNG", image.rows, image.cols);
    }
    return std::string(out.begin(), out.end());
  } catch (const cv::Exception& e) {
    return Error(Code::kInternal, "cannot encode PNG: {}", e.what());
  }
}

Status WritePng(const std::filesystem::path& path, const GrayImage& image) {
  ASSIGN_OR_RETURN(std::string png, EncodePng(image));
  return AtomicWriteFile(path, png);
}

GrayImage Upscale(const GrayImage& image, int factor) {
  GrayImage out = MakeGrayImage(image.rows * factor, image.cols * factor);
  for (int r = 0; r < out.rows; ++r) {
    for (int c = 0; c < out.cols; ++c) {
      out.at(r, c) = image.at(r / factor, c / factor);
    }
  }
  return out;
}

void DrawText(GrayImage& image, std::string_view text, int x, int y, double scale, uint8_t value) {
  try {
    cv::Mat mat(image.rows, image.cols, CV_8UC1, image.pixels.data());
    cv::putText(mat, std::string(text), cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, scale,
                cv::Scalar(value), 1, cv::LINE_AA);
  } catch (const cv::Exception&) {
    // Drawing is decoration; an OpenCV failure leaves the image as it was.
  }
}

}  // namespace conveyor::ml
