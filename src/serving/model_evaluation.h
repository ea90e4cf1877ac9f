// Scoring a served model on labelled data, through exactly the path a
// request takes (the spec's preprocessing of raw rows, the loaded
// classifier). `conveyor model promote --if-better METRIC --evaluate-on FILE`
// scores the challenger and the champion on the same file this way, so a
// retrained model is judged against production on the data that made
// retraining necessary, not on each one's own test split.
//
// Data: a samples file (ml/samples.h; raw pixels 0..255, the label a class
// number matched to the model's labels as text) or CSV as `conveyor
// feedback export` writes it (a header line starting "label", then one row
// per example: the label, then the raw input values).
//
// Thread safety: pure functions over values.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ml/classification_metrics.h"
#include "serving/served_model.h"

namespace conveyor::serving {

struct LabelledRows {
  std::vector<std::string> labels;  // one per row
  size_t width = 0;                 // raw values per row
  std::vector<float> raw;           // labels.size() * width values
  std::string source;               // the file, for messages
};

// Reads a samples file (recognised by its magic) or CSV. Errors name the
// file (and the line, for CSV).
Result<LabelledRows> ReadLabelledRows(const std::filesystem::path& file);

// Appends `more`'s rows to `data` (several files scored as one set).
// kInvalid naming both files when their rows differ in width.
Status AppendLabelledRows(LabelledRows& data, LabelledRows more);

// Predicts every row of `data` with `model` and compares with the labels.
// kInvalid when a row's width is not the model's input size, or a label is
// not one of the model's (naming the row).
Result<ml::ClassificationMetrics> EvaluateModel(const ServedModel& model, const LabelledRows& data);

// "accuracy", "macro_precision", "macro_recall", "macro_f1" (the names the
// digits pipeline's metrics.json uses). kUsage listing them for another.
Result<double> NamedMetric(const ml::ClassificationMetrics& metrics, std::string_view name);

}  // namespace conveyor::serving
