// Preprocessing: the transformation from a raw grayscale image to model
// features, shared by the `preprocess` stage and the model server. It is a
// pure function of a small spec that model.yaml records (see model_spec.h),
// so the server applies exactly what training saw.
//
// Steps, in order:
//   1. (deskew) straighten the slant with image moments, as OpenCV's classic
//      digits sample does: skew = mu11 / mu02; warpAffine with
//      [[1, skew, -0.5 * cols * skew], [0, 1, 0]] as an inverse map, linear
//      interpolation, zero border. Skipped when |mu02| < 1e-2 (blank image).
//   2. multiply every pixel by `scale` (1/255 maps 0..255 to 0..1).
//
// Thread safety: pure functions.
#pragma once

#include <span>
#include <vector>

#include "common/status.h"

namespace conveyor::ml {

struct Preprocessing {
  int rows = 20;               // expected input height in pixels
  int cols = 20;               // expected input width in pixels
  double scale = 1.0 / 255.0;  // multiplier applied last
  bool deskew = false;         // moments-based deskew before scaling

  bool operator==(const Preprocessing&) const = default;
};

// Deskews one rows x cols image (values in any range; typically 0..255).
// Precondition: pixels.size() == rows * cols.
std::vector<float> Deskew(std::span<const float> pixels, int rows, int cols);

// Applies `spec` to one raw image of spec.rows x spec.cols pixels (0..255).
// Error: "input has 399 pixels, expected 400 (20x20)".
Result<std::vector<float>> ApplyPreprocessing(const Preprocessing& spec,
                                              std::span<const float> raw);

}  // namespace conveyor::ml
