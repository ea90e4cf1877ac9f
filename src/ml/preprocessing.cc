#include "ml/preprocessing.h"

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace conveyor::ml {

std::vector<float> Deskew(std::span<const float> pixels, int rows, int cols) {
  std::vector<float> out(pixels.begin(), pixels.end());
  try {
    cv::Mat image(rows, cols, CV_32FC1, const_cast<float*>(pixels.data()));
    const cv::Moments m = cv::moments(image);
    if (std::abs(m.mu02) < 1e-2) {
      return out;
    }
    const double skew = m.mu11 / m.mu02;
    const cv::Matx23d warp(1, skew, -0.5 * cols * skew, 0, 1, 0);
    cv::Mat result(rows, cols, CV_32FC1, out.data());
    cv::warpAffine(image, result, warp, cv::Size(cols, rows),
                   cv::WARP_INVERSE_MAP | cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  } catch (const cv::Exception&) {
    // Cannot happen for a valid shape; fall back to the image as given.
    out.assign(pixels.begin(), pixels.end());
  }
  return out;
}

Result<std::vector<float>> ApplyPreprocessing(const Preprocessing& spec,
                                              std::span<const float> raw) {
  const size_t expected = static_cast<size_t>(spec.rows) * static_cast<size_t>(spec.cols);
  if (raw.size() != expected) {
    return Error(Code::kInvalid, "input has {} pixels, expected {} ({}x{})", raw.size(), expected,
                 spec.rows, spec.cols);
  }
  std::vector<float> out =
      spec.deskew ? Deskew(raw, spec.rows, spec.cols) : std::vector<float>(raw.begin(), raw.end());
  for (float& v : out) {
    v = static_cast<float>(v * spec.scale);
  }
  return out;
}

}  // namespace conveyor::ml
