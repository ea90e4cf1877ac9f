// Model input decoding: a request body in, the feature rows the classifier
// expects out, driven only by the model's spec (model.yaml) — no per-model
// code. Training and serving share ml::ApplyPreprocessing, so a 20x20 image
// served gives exactly the features training computed for it.
//
// Accepted bodies, by Content-Type (parameters ignored, case-insensitive):
//   image/png, image/jpeg, image/bmp, image/x-portable-graymap (and the other
//   netpbm types), application/octet-stream
//       one image (format sniffed from its bytes; PNG, JPEG, BMP, netpbm)
//   multipart/form-data
//       the part named "file" (or "image"), else the only part; its content
//       type is ignored and its bytes sniffed: an image, or JSON when it
//       starts with '{'
//   application/json
//       {"features": [v, ...]}          one row of raw input values
//       {"instances": [[v, ...], ...]}  several rows
//       {"image_base64": "..."}         one image, standard base64
//   text/csv
//       one row of raw input values per line, comma-separated; a first line
//       with no number in it is taken as a header and skipped
// For a grayscale_image model, "raw input values" are pixels (0..255,
// height*width of them, row-major) exactly like model.yaml's sample_input,
// and each row goes through the spec's preprocessing.
// Images: the header's dimensions are checked against the limits before
// decoding; then decoded to 8-bit grayscale (as training reads PNGs, through
// ml::DecodeGrayImage), resized to the spec's height x width (area
// interpolation) when they differ, and preprocessed.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ml/classifier.h"
#include "ml/gray_image.h"
#include "ml/model_spec.h"

namespace conveyor::serving {

// Why an input was refused, for the HTTP layer to map without parsing text.
enum class InputErrorKind {
  kInvalid,           // malformed, truncated, wrong shape: 422
  kTooLarge,          // an image or a batch over the limits: 413
  kUnsupportedMedia,  // a Content-Type or image format we do not take: 415
};

// 422, 413, 415.
int HttpStatusFor(InputErrorKind kind);
// "invalid_input", "payload_too_large", "unsupported_media_type".
std::string_view InputErrorCode(InputErrorKind kind);

struct InputError {
  InputErrorKind kind = InputErrorKind::kInvalid;
  std::string message;
};

struct InputLimits {
  int64_t max_width = 4096;   // images wider than this are kTooLarge
  int64_t max_height = 4096;  // images taller than this are kTooLarge
  size_t max_rows = 1024;     // rows per request (instances, CSV lines)
};

// Rows x cols features, row-major, ready for the classifier.
// Each row also keeps its raw input (the spec's height x width values
// before preprocessing, pixels 0..255), so the prediction log can record
// what a retraining pipeline's first stage reads.
struct FeatureRows {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<float> values;
  size_t raw_cols = 0;
  std::vector<float> raw;

  ml::DenseMatrix matrix() const { return {rows, cols, values}; }
  std::span<const float> row(size_t r) const {
    return std::span<const float>(values).subspan(r * cols, cols);
  }
  std::span<const float> raw_row(size_t r) const {
    return std::span<const float>(raw).subspan(r * raw_cols, raw_cols);
  }
  // Appends the rows of `more` (of the same widths).
  void Append(const FeatureRows& more);
};

// Either FeatureRows or an InputError.
class InputResult {
 public:
  InputResult(FeatureRows rows)  // NOLINT(google-explicit-constructor)
      : data_(std::move(rows)) {}
  InputResult(InputError error)  // NOLINT(google-explicit-constructor)
      : data_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<FeatureRows>(data_); }
  const FeatureRows& value() const { return std::get<FeatureRows>(data_); }
  FeatureRows& value() { return std::get<FeatureRows>(data_); }
  // Precondition: !ok().
  const InputError& error() const { return std::get<InputError>(data_); }

 private:
  std::variant<FeatureRows, InputError> data_;
};

// Decodes a request body by its Content-Type (see the table above).
InputResult DecodeModelInput(const ml::ModelSpec& spec, std::string_view content_type,
                             std::string_view body, const InputLimits& limits = {});

// One encoded image (PNG, JPEG, BMP, netpbm) -> one feature row.
InputResult DecodeImageInput(const ml::ModelSpec& spec, std::string_view bytes,
                             const InputLimits& limits = {});

// A JSON body (see above) -> rows.
InputResult DecodeJsonInput(const ml::ModelSpec& spec, std::string_view json,
                            const InputLimits& limits = {});

// A CSV body -> rows.
InputResult DecodeCsvInput(const ml::ModelSpec& spec, std::string_view csv,
                           const InputLimits& limits = {});

// A grayscale image of any size -> the spec's features (resize, preprocess).
InputResult ImageFeatures(const ml::ModelSpec& spec, const ml::GrayImage& image);

// Raw input values (one row) -> the spec's features.
InputResult RawFeatures(const ml::ModelSpec& spec, std::span<const float> raw);

}  // namespace conveyor::serving
