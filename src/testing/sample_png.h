// Test helper for the end-to-end serving tests (header-only; needs
// conveyor_ml): a model spec's sample input written as an uploadable PNG.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "ml/gray_image.h"
#include "ml/model_spec.h"

namespace conveyor::testing {

// Writes the sample input of the spec at `spec_path` to `png` and stores the
// label the model should give it in `expected_label`; fails the test
// (fatally) when the spec cannot be read.
inline void WriteSamplePng(const std::filesystem::path& spec_path, const std::filesystem::path& png,
                           std::string& expected_label) {
  auto spec = ml::ReadModelSpec(spec_path);
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  expected_label = spec->sample_input.expected_label;
  ml::GrayImage image = ml::MakeGrayImage(spec->input.rows, spec->input.cols);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = static_cast<uint8_t>(spec->sample_input.pixels[i]);
  }
  ASSERT_TRUE(ml::WritePng(png, image).ok());
}

}  // namespace conveyor::testing
