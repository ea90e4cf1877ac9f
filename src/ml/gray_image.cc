// GrayImage helpers. Decoding and PNG encoding live in image_codec.cc (libpng,
// libjpeg, our own BMP and netpbm parsers); OpenCV is used here only for
// drawing text, through imgproc.
#include "ml/gray_image.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "common/file_util.h"
#include "ml/image_codec.h"

namespace conveyor::ml {

GrayImage MakeGrayImage(int rows, int cols, uint8_t value) {
  GrayImage image;
  image.rows = rows;
  image.cols = cols;
  image.pixels.assign(static_cast<size_t>(rows) * static_cast<size_t>(cols), value);
  return image;
}

Result<GrayImage> ReadGrayImage(const std::filesystem::path& path, int64_t max_pixels) {
  Result<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) {
    return bytes.status();
  }
  return DecodeGrayImage(*bytes, path.string(), max_pixels);
}

Result<GrayImage> DecodeGrayImage(std::string_view bytes, std::string_view name,
                                  int64_t max_pixels) {
  Result<GrayImage> image = DecodeImage(bytes, max_pixels);
  if (!image.ok()) {
    return Error(image.status().code(), "{}: cannot decode image: {}", name,
                 image.status().message());
  }
  return image;
}

Result<std::string> EncodePng(const GrayImage& image) { return EncodeGrayPng(image); }

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
