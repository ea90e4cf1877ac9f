// SampleSet: labelled fixed-size grayscale samples, and the binary file format
// the digits pipeline stages pass between them.
//
// File format, version 1 (all integers little-endian):
//
//   offset  size  field
//   0       8     magic "CVSAMPLE"
//   8       4     u32 format version (1)
//   12      4     u32 count: number of samples
//   16      4     u32 rows per sample (20 for the digits)
//   20      4     u32 cols per sample (20 for the digits)
//   24      ...   count records, each: i32 label, then rows*cols f32 pixels
//                 in row-major order (IEEE-754 binary32, little-endian)
//
// Pixel values are whatever the writing stage produced: 0..255 after `load`,
// 0..1 after `preprocess`. The file size must be exactly
// 24 + count * (4 + 4 * rows * cols); anything else is an error.
// Versions: current 1, oldest supported 1. A future version bumps the number
// and ReadSamples keeps reading every version from the oldest supported.
//
// Thread safety: SampleSet is a value; the functions have no shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor::ml {

inline constexpr uint32_t kSamplesFormatVersion = 1;
inline constexpr uint32_t kSamplesOldestVersion = 1;

struct SampleSet {
  int rows = 0;  // height of one sample in pixels
  int cols = 0;  // width of one sample in pixels
  // labels.size() samples; pixels holds labels.size() * rows * cols values.
  std::vector<int32_t> labels;
  std::vector<float> pixels;

  size_t size() const { return labels.size(); }
  size_t features() const { return static_cast<size_t>(rows) * static_cast<size_t>(cols); }
  // The pixels of sample `i` (precondition: i < size()).
  std::span<const float> sample(size_t i) const {
    return std::span<const float>(pixels).subspan(i * features(), features());
  }
  // Appends one sample (precondition: values.size() == features()).
  void Add(int32_t label, std::span<const float> values);
};

// Checks the invariants above (positive shape, pixels.size()).
Status ValidateSamples(const SampleSet& samples);

// Serialises `samples` in the current format version.
std::string EncodeSamples(const SampleSet& samples);

// Parses bytes in any supported version; `name` (a path) prefixes errors:
// "<name>: not a samples file (bad magic)",
// "<name>: samples format version 9 is not supported (oldest 1, current 1)",
// "<name>: truncated: expected 1624 bytes for 1 samples of 20x20, found 100".
Result<SampleSet> DecodeSamples(std::string_view bytes, std::string_view name);

Status WriteSamples(const std::filesystem::path& path, const SampleSet& samples);
Result<SampleSet> ReadSamples(const std::filesystem::path& path);

}  // namespace conveyor::ml
