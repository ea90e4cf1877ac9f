#include "ml/samples.h"

#include <bit>
#include <cstring>

#include "common/file_util.h"

namespace conveyor::ml {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the samples format is little-endian; add byte swapping for this host");

constexpr std::string_view kMagic = "CVSAMPLE";
constexpr size_t kHeaderSize = 24;

template <typename T>
void Put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
T Get(std::string_view bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

}  // namespace

void SampleSet::Add(int32_t label, std::span<const float> values) {
  labels.push_back(label);
  pixels.insert(pixels.end(), values.begin(), values.end());
}

Status ValidateSamples(const SampleSet& samples) {
  if (samples.rows <= 0 || samples.cols <= 0) {
    return Error(Code::kInvalid, "sample shape {}x{} is not positive", samples.rows, samples.cols);
  }
  if (samples.pixels.size() != samples.size() * samples.features()) {
    return Error(Code::kInvalid, "{} samples of {}x{} need {} pixels, found {}", samples.size(),
                 samples.rows, samples.cols, samples.size() * samples.features(),
                 samples.pixels.size());
  }
  return OkStatus();
}

std::string EncodeSamples(const SampleSet& samples) {
  std::string out;
  out.reserve(kHeaderSize + samples.size() * (4 + 4 * samples.features()));
  out.append(kMagic);
  Put<uint32_t>(out, kSamplesFormatVersion);
  Put<uint32_t>(out, static_cast<uint32_t>(samples.size()));
  Put<uint32_t>(out, static_cast<uint32_t>(samples.rows));
  Put<uint32_t>(out, static_cast<uint32_t>(samples.cols));
  for (size_t i = 0; i < samples.size(); ++i) {
    Put<int32_t>(out, samples.labels[i]);
    for (float v : samples.sample(i)) {
      Put<float>(out, v);
    }
  }
  return out;
}

Result<SampleSet> DecodeSamples(std::string_view bytes, std::string_view name) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    return Error(Code::kInvalid, "{}: not a samples file (bad magic)", name);
  }
  if (bytes.size() < kHeaderSize) {
    return Error(Code::kInvalid, "{}: truncated header: {} bytes, expected {}", name, bytes.size(),
                 kHeaderSize);
  }
  const auto version = Get<uint32_t>(bytes, 8);
  if (version < kSamplesOldestVersion || version > kSamplesFormatVersion) {
    return Error(Code::kInvalid,
                 "{}: samples format version {} is not supported (oldest {}, current {})", name,
                 version, kSamplesOldestVersion, kSamplesFormatVersion);
  }
  const auto count = Get<uint32_t>(bytes, 12);
  const auto rows = Get<uint32_t>(bytes, 16);
  const auto cols = Get<uint32_t>(bytes, 20);
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096) {
    return Error(Code::kInvalid, "{}: bad sample shape {}x{}", name, rows, cols);
  }
  const uint64_t record = 4 + 4ULL * rows * cols;
  const uint64_t expected = kHeaderSize + record * count;
  if (bytes.size() != expected) {
    return Error(Code::kInvalid, "{}: {}: expected {} bytes for {} samples of {}x{}, found {}",
                 name, bytes.size() < expected ? "truncated" : "trailing data", expected, count,
                 rows, cols, bytes.size());
  }
  SampleSet samples;
  samples.rows = static_cast<int>(rows);
  samples.cols = static_cast<int>(cols);
  samples.labels.resize(count);
  samples.pixels.resize(static_cast<size_t>(count) * rows * cols);
  size_t offset = kHeaderSize;
  for (size_t i = 0; i < count; ++i) {
    samples.labels[i] = Get<int32_t>(bytes, offset);
    std::memcpy(samples.pixels.data() + i * samples.features(), bytes.data() + offset + 4,
                4 * samples.features());
    offset += record;
  }
  return samples;
}

Status WriteSamples(const std::filesystem::path& path, const SampleSet& samples) {
  RETURN_IF_ERROR(ValidateSamples(samples).WithContext(path.string()));
  return AtomicWriteFile(path, EncodeSamples(samples));
}

Result<SampleSet> ReadSamples(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return DecodeSamples(bytes, path.string());
}

}  // namespace conveyor::ml
