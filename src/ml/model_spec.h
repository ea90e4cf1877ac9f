// ModelSpec: model.yaml, the description of a trained model that the model
// server needs to load it, feed it and monitor it. Written by the training
// stage beside the model file.
//
// model.yaml, format version 1 (every field required unless marked):
//
//   format_version: 1            # integer; see kModelSpecFormatVersion
//   name: digits                 # model name
//   backend: xgboost             # "xgboost" (XGBoost JSON) or "onnx"; see classifier.h
//   model_file: model.json       # path relative to model.yaml
//   input:
//     kind: grayscale_image      # the only kind so far
//     height: 20                 # pixels; uploads are resized to this
//     width: 20
//     scale: 0.0039215686274509803  # pixel multiplier (1/255), applied last
//     deskew: true               # moments-based deskew first (preprocessing.h)
//   labels: ["0", "1", ...]      # class index -> label name
//   sample_input:                # one raw test input and what the model says
//     pixels: [0, 0, 13, ...]    # height*width values 0..255, row-major
//     expected_label: "3"
//   reference:                   # training-input statistics for drift checks
//     samples: 4000
//     class_priors: [0.1, ...]   # one per label
//     mean_intensity: 0.13       # after preprocessing, so in [0, 1]
//     mean_ink_fraction: 0.12    # share of pixels > 0.5
//     intensity_histogram: {edges: [0, 0.05, ...], counts: [0, 12, ...]}
//     ink_fraction_histogram: {edges: [...], counts: [...]}
//   training:                    # optional; free-form scalars
//     params: {n_estimators: "100", max_depth: "4", ...}
//
// Versions: current 1, oldest supported 1. A reader rejects newer versions
// (it cannot know what they mean) and migrates older ones when they exist.
//
// Thread safety: values and pure functions; the file functions touch only
// their own path.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "ml/preprocessing.h"
#include "ml/reference_stats.h"

namespace conveyor::ml {

inline constexpr int kModelSpecFormatVersion = 1;
inline constexpr int kModelSpecOldestVersion = 1;

struct SampleInput {
  std::vector<int> pixels;  // raw 0..255, input.height * input.width values
  std::string expected_label;

  bool operator==(const SampleInput&) const = default;
};

struct ModelSpec {
  int format_version = kModelSpecFormatVersion;
  std::string name;
  std::string backend = "xgboost";
  std::string model_file = "model.json";
  std::string input_kind = "grayscale_image";
  Preprocessing input;
  std::vector<std::string> labels;
  SampleInput sample_input;
  ReferenceStats reference;
  // Training parameters as name -> value, in the order given.
  std::vector<std::pair<std::string, std::string>> training_params;

  bool operator==(const ModelSpec&) const = default;
};

// Renders `spec` as YAML (its format_version field is written as is).
std::string EmitModelSpec(const ModelSpec& spec);

// Parses model.yaml text; `name` (a path) prefixes errors, with line:column
// where known, e.g. "model.yaml:1:17: format_version 2 is not supported
// (oldest 1, current 1)" or "model.yaml: missing field 'backend'".
Result<ModelSpec> ParseModelSpec(std::string_view text, std::string_view name);

Status WriteModelSpec(const std::filesystem::path& path, const ModelSpec& spec);
Result<ModelSpec> ReadModelSpec(const std::filesystem::path& path);

}  // namespace conveyor::ml
