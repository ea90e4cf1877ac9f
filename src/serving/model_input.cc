#include "serving/model_input.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "common/base64.h"
#include "ml/preprocessing.h"
#include "serving/image_header.h"
#include "serving/multipart.h"

namespace conveyor::serving {
namespace {

template <typename... Args>
InputError Invalid(fmt::format_string<Args...> format, Args&&... args) {
  return {InputErrorKind::kInvalid, fmt::format(format, std::forward<Args>(args)...)};
}

std::string MediaType(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  type.erase(std::remove_if(type.begin(), type.end(),
                            [](char c) { return std::isspace(static_cast<unsigned char>(c)); }),
             type.end());
  for (char& c : type) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return type;
}

bool IsImageType(std::string_view type) {
  return type == "image/png" || type == "image/jpeg" || type == "image/jpg" ||
         type == "image/bmp" || type == "image/x-ms-bmp" || type == "image/x-portable-graymap" ||
         type == "image/x-portable-pixmap" || type == "image/x-portable-bitmap" ||
         type == "image/x-portable-anymap" || type == "application/octet-stream";
}

size_t InputSize(const ml::ModelSpec& spec) {
  return static_cast<size_t>(spec.input.rows) * static_cast<size_t>(spec.input.cols);
}

// Appends `row` (raw values) preprocessed to `out`.
std::optional<InputError> AppendRow(const ml::ModelSpec& spec, std::span<const float> raw,
                                    FeatureRows& out, size_t index) {
  InputResult row = RawFeatures(spec, raw);
  if (!row.ok()) {
    return Invalid("row {}: {}", index + 1, row.error().message);
  }
  out.Append(row.value());
  return std::nullopt;
}

InputResult MultipartInput(const ml::ModelSpec& spec, std::string_view content_type,
                           std::string_view body, const InputLimits& limits) {
  Result<std::vector<MultipartPart>> parts = ParseMultipart(content_type, body);
  if (!parts.ok()) {
    return Invalid("{}", parts.status().message());
  }
  const MultipartPart* chosen = nullptr;
  std::string names;
  for (const MultipartPart& part : *parts) {
    if (part.name == "file" || part.name == "image") {
      chosen = &part;
      break;
    }
    names += names.empty() ? "" : ", ";
    names += "'" + part.name + "'";
  }
  if (chosen == nullptr && parts->size() == 1) {
    chosen = &parts->front();
  }
  if (chosen == nullptr) {
    return Invalid("multipart body needs a part named 'file' (parts: {})",
                   names.empty() ? "none" : names);
  }
  const std::string_view bytes = chosen->body;
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && bytes[first] == '{') {
    return DecodeJsonInput(spec, bytes, limits);
  }
  return DecodeImageInput(spec, bytes, limits);
}

Result<std::vector<float>> JsonRow(const nlohmann::json& row, std::string_view where) {
  if (!row.is_array()) {
    return Error(Code::kInvalid, "{} must be an array of numbers", where);
  }
  std::vector<float> out;
  out.reserve(row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    if (!row[i].is_number()) {
      return Error(Code::kInvalid, "{}[{}] is not a number", where, i);
    }
    const double v = row[i].get<double>();
    if (!std::isfinite(v)) {
      return Error(Code::kInvalid, "{}[{}] is not finite", where, i);
    }
    out.push_back(static_cast<float>(v));
  }
  return out;
}

}  // namespace

void FeatureRows::Append(const FeatureRows& more) {
  cols = more.cols;
  raw_cols = more.raw_cols;
  values.insert(values.end(), more.values.begin(), more.values.end());
  raw.insert(raw.end(), more.raw.begin(), more.raw.end());
  rows += more.rows;
}

int HttpStatusFor(InputErrorKind kind) {
  switch (kind) {
    case InputErrorKind::kTooLarge:
      return 413;
    case InputErrorKind::kUnsupportedMedia:
      return 415;
    case InputErrorKind::kInvalid:
      break;
  }
  return 422;
}

std::string_view InputErrorCode(InputErrorKind kind) {
  switch (kind) {
    case InputErrorKind::kTooLarge:
      return "payload_too_large";
    case InputErrorKind::kUnsupportedMedia:
      return "unsupported_media_type";
    case InputErrorKind::kInvalid:
      break;
  }
  return "invalid_input";
}

InputResult DecodeModelInput(const ml::ModelSpec& spec, std::string_view content_type,
                             std::string_view body, const InputLimits& limits) {
  const std::string type = MediaType(content_type);
  if (type == "multipart/form-data") {
    return MultipartInput(spec, content_type, body, limits);
  }
  if (type == "application/json") {
    return DecodeJsonInput(spec, body, limits);
  }
  if (type == "text/csv") {
    return DecodeCsvInput(spec, body, limits);
  }
  if (IsImageType(type)) {
    return DecodeImageInput(spec, body, limits);
  }
  return InputError{InputErrorKind::kUnsupportedMedia,
                    fmt::format("unsupported Content-Type '{}' (expected an image, "
                                "multipart/form-data, application/json or text/csv)",
                                type)};
}

InputResult DecodeImageInput(const ml::ModelSpec& spec, std::string_view bytes,
                             const InputLimits& limits) {
  if (bytes.empty()) {
    return Invalid("empty image");
  }
  if (SniffImageFormat(bytes) == ImageFormat::kUnknown) {
    return InputError{InputErrorKind::kUnsupportedMedia,
                      "not a PNG, JPEG, BMP or PGM image (unrecognised leading bytes)"};
  }
  Result<ImageHeader> header = ReadImageHeader(bytes);
  if (!header.ok()) {
    return Invalid("{}", header.status().message());
  }
  if (header->width > limits.max_width || header->height > limits.max_height) {
    return InputError{InputErrorKind::kTooLarge,
                      fmt::format("image is {}x{} pixels, the limit is {}x{}", header->width,
                                  header->height, limits.max_width, limits.max_height)};
  }
  Result<ml::GrayImage> image = ml::DecodeGrayImage(bytes, ImageFormatName(header->format));
  if (!image.ok()) {
    return Invalid("{}", image.status().message());
  }
  if (image->cols != header->width || image->rows != header->height) {
    return Invalid("{}: decoded {}x{} pixels but the header says {}x{}",
                   ImageFormatName(header->format), image->cols, image->rows, header->width,
                   header->height);
  }
  return ImageFeatures(spec, *image);
}

InputResult ImageFeatures(const ml::ModelSpec& spec, const ml::GrayImage& image) {
  const int rows = spec.input.rows;
  const int cols = spec.input.cols;
  std::vector<float> raw(InputSize(spec));
  if (image.rows == rows && image.cols == cols) {
    std::copy(image.pixels.begin(), image.pixels.end(), raw.begin());
  } else {
    try {
      const cv::Mat source(image.rows, image.cols, CV_8UC1,
                           const_cast<uint8_t*>(image.pixels.data()));
      cv::Mat resized;
      const bool shrinking = image.rows > rows || image.cols > cols;
      cv::resize(source, resized, cv::Size(cols, rows), 0, 0,
                 shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
      for (int r = 0; r < rows; ++r) {
        const auto* line = resized.ptr<uint8_t>(r);
        std::copy(line, line + cols, raw.begin() + static_cast<ptrdiff_t>(r) * cols);
      }
    } catch (const cv::Exception& e) {
      return Invalid("cannot resize a {}x{} image to {}x{}: {}", image.cols, image.rows, cols, rows,
                     e.what());
    }
  }
  return RawFeatures(spec, raw);
}

InputResult RawFeatures(const ml::ModelSpec& spec, std::span<const float> raw) {
  Result<std::vector<float>> features = ml::ApplyPreprocessing(spec.input, raw);
  if (!features.ok()) {
    return Invalid("{}", features.status().message());
  }
  FeatureRows out;
  out.rows = 1;
  out.cols = features->size();
  out.values = std::move(*features);
  out.raw_cols = raw.size();
  out.raw.assign(raw.begin(), raw.end());
  return out;
}

InputResult DecodeJsonInput(const ml::ModelSpec& spec, std::string_view json,
                            const InputLimits& limits) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    return Invalid("malformed JSON: {}", e.what());
  }
  if (!doc.is_object()) {
    return Invalid("JSON body must be an object with 'features', 'instances' or 'image_base64'");
  }
  const int forms = static_cast<int>(doc.contains("features")) +
                    static_cast<int>(doc.contains("instances")) +
                    static_cast<int>(doc.contains("image_base64"));
  if (forms != 1) {
    return Invalid("JSON body must have exactly one of 'features', 'instances', 'image_base64'");
  }
  if (doc.contains("image_base64")) {
    if (!doc["image_base64"].is_string()) {
      return Invalid("'image_base64' must be a string");
    }
    Result<std::string> bytes = DecodeBase64(doc["image_base64"].get_ref<const std::string&>());
    if (!bytes.ok()) {
      return Invalid("'image_base64': {}", bytes.status().message());
    }
    return DecodeImageInput(spec, *bytes, limits);
  }
  FeatureRows out;
  if (doc.contains("features")) {
    Result<std::vector<float>> row = JsonRow(doc["features"], "'features'");
    if (!row.ok()) {
      return Invalid("{}", row.status().message());
    }
    return RawFeatures(spec, *row);
  }
  const nlohmann::json& instances = doc["instances"];
  if (!instances.is_array() || instances.empty()) {
    return Invalid("'instances' must be a non-empty array of rows");
  }
  if (instances.size() > limits.max_rows) {
    return InputError{InputErrorKind::kTooLarge, fmt::format("{} instances, the limit is {}",
                                                             instances.size(), limits.max_rows)};
  }
  for (size_t i = 0; i < instances.size(); ++i) {
    Result<std::vector<float>> row = JsonRow(instances[i], fmt::format("'instances'[{}]", i));
    if (!row.ok()) {
      return Invalid("{}", row.status().message());
    }
    if (std::optional<InputError> error = AppendRow(spec, *row, out, i)) {
      return *error;
    }
  }
  return out;
}

InputResult DecodeCsvInput(const ml::ModelSpec& spec, std::string_view csv,
                           const InputLimits& limits) {
  FeatureRows out;
  size_t line_number = 0;
  bool first = true;
  while (!csv.empty()) {
    const size_t end = csv.find('\n');
    std::string_view line = csv.substr(0, end);
    csv = end == std::string_view::npos ? std::string_view() : csv.substr(end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      continue;
    }
    std::vector<float> row;
    bool any_number = false;
    std::optional<std::string> bad;
    size_t column = 0;
    while (true) {
      const size_t comma = line.find(',');
      std::string_view field = line.substr(0, comma);
      while (!field.empty() && std::isspace(static_cast<unsigned char>(field.front()))) {
        field.remove_prefix(1);
      }
      while (!field.empty() && std::isspace(static_cast<unsigned char>(field.back()))) {
        field.remove_suffix(1);
      }
      ++column;
      float value = 0;
      const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (ec == std::errc() && ptr == field.data() + field.size() && !field.empty() &&
          std::isfinite(value)) {
        any_number = true;
        row.push_back(value);
      } else if (!bad.has_value()) {
        bad = fmt::format("line {} column {}: '{}' is not a finite number", line_number, column,
                          field);
      }
      if (comma == std::string_view::npos) {
        break;
      }
      line.remove_prefix(comma + 1);
    }
    const bool header = first && !any_number;
    first = false;
    if (header) {
      continue;
    }
    if (bad.has_value()) {
      return Invalid("CSV {}", *bad);
    }
    if (out.rows == limits.max_rows) {
      return InputError{InputErrorKind::kTooLarge,
                        fmt::format("CSV has more than {} rows", limits.max_rows)};
    }
    if (std::optional<InputError> error = AppendRow(spec, row, out, out.rows)) {
      return Invalid("CSV line {}: {}", line_number, error->message);
    }
  }
  if (out.rows == 0) {
    return Invalid("CSV body has no rows");
  }
  return out;
}

}  // namespace conveyor::serving
