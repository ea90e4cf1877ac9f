// The model spec the serving fuzz targets decode inputs for: the digits
// example's input (20x20 grayscale, deskewed, scaled to 0..1) and its ten
// labels.
#pragma once

#include "ml/model_spec.h"

namespace conveyor::fuzz {

inline const ml::ModelSpec& DigitsSpec() {
  static const ml::ModelSpec spec = [] {
    ml::ModelSpec s;
    s.name = "digits";
    s.input = {.rows = 20, .cols = 20, .scale = 1.0 / 255.0, .deskew = true};
    s.labels = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    s.sample_input.pixels.assign(400, 0);
    s.sample_input.expected_label = "0";
    return s;
  }();
  return spec;
}

}  // namespace conveyor::fuzz
