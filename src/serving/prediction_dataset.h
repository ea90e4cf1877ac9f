// Reading the prediction log (prediction_log.h) back as a labelled dataset:
// every logged prediction row that a client sent a label for, with its raw
// input. `conveyor feedback export` writes the result as a samples file
// (ml/samples.h) or CSV for a retraining pipeline to consume.
//
// Joining: by (request_id, row) and time. A label belongs to the prediction
// that request id named when the label was logged (the latest one at or
// before it, by the lines' "ts"), so a reused id never pairs one input with
// another's label, and labels logged by another replica (which may not
// remember the request) still join. A prediction's first label counts (as
// on /metrics). Segments are read in name order (the order they were
// started in); a segment removed between the two passes is skipped.
//
// Errors name the file and line: a line that is not JSON, or lacks a field
// or has the wrong type for it. The one exception is a file's last line
// without its newline (the server stopped in the middle of a write): it is
// skipped and counted.
//
// Thread safety: pure functions over the files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace conveyor::serving {

struct LabelledExample {
  std::string request_id;
  size_t row = 0;
  std::string model;
  int version = 0;
  std::string predicted;
  std::string label;  // the true one, from feedback
  int rows = 0;       // input shape
  int cols = 0;
  std::vector<float> input;  // raw, rows * cols values
  std::string where;         // "FILE:LINE" of the prediction, for errors
};

struct DatasetScan {
  size_t files = 0;
  size_t predictions = 0;  // prediction lines
  size_t feedback = 0;     // feedback lines
  size_t labelled = 0;     // examples emitted
  size_t torn_lines = 0;   // last lines cut short, skipped
};

struct DatasetFilter {
  std::string model;  // only predictions of this model; empty: all
};

// The segment files of `paths` (directories are searched for
// "predictions-*.jsonl"; files are taken as given), in name order. Error: a
// path that does not exist.
Result<std::vector<std::filesystem::path>> PredictionLogFiles(
    const std::vector<std::filesystem::path>& paths);

// Calls `emit` for each labelled example of `files`, in log order; stops at
// the first error `emit` returns.
Result<DatasetScan> ScanLabelledExamples(const std::vector<std::filesystem::path>& files,
                                         const DatasetFilter& filter,
                                         const std::function<Status(const LabelledExample&)>& emit);

}  // namespace conveyor::serving
