// Plot data files read into a table of rows, the way DVC reads them
// (dvc/repo/plots/__init__.py, dvc/render/converter/vega.py):
//   - JSON or YAML: a list of objects, or an object whose list-of-objects
//     values (searched through nested objects) are merged row by row;
//   - CSV and TSV: the first row names the fields (with `header = false` the
//     fields are "0", "1", ...), quoted fields as RFC 4180 writes them.
// Cells are numbers when the whole cell reads as a finite number (a JSON or
// YAML number, or CSV text such as "0.25" or "1e-3"), otherwise text; booleans
// read as the text "true"/"false", nulls and absent fields as missing.
// Errors name the file, and the line for syntax errors ("plots/a.csv:4:
// expected 3 fields, found 2"), code kInvalid.
//
// Thread safety: free functions over values; PlotTable is a plain value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor {

// How a plot file is shown, by its extension (case-insensitive).
enum class PlotFileKind {
  kData,         // .json .yaml .yml .csv .tsv: drawn with a template
  kImage,        // .png .jpg .jpeg .gif .svg: copied and shown as it is
  kUnsupported,  // anything else
};
PlotFileKind ClassifyPlotFile(std::string_view path);

// One cell.
struct PlotValue {
  enum class Kind { kMissing, kNumber, kText };
  Kind kind = Kind::kMissing;
  double number = 0;  // for kNumber
  // The cell as written ("0.250", "cat"); for JSON numbers their shortest
  // form. Used as the label when the value is a category.
  std::string text;

  static PlotValue Number(double value, std::string text);
  static PlotValue Text(std::string text);
  bool is_number() const { return kind == Kind::kNumber; }
  bool is_missing() const { return kind == Kind::kMissing; }
};

struct PlotTable {
  std::vector<std::string> fields;  // in first-seen order
  // rows[i][j] is the value of fields[j] in row i (kMissing when absent).
  std::vector<std::vector<PlotValue>> rows;

  std::optional<size_t> FieldIndex(std::string_view field) const;
};

struct PlotReadOptions {
  // CSV/TSV only: whether the first row holds the field names. DVC's
  // `header: false` (or `--no-header`) names the columns "0", "1", ...
  bool header = true;
};

// Parses `content`, the file at project-relative `path` (which names the
// format by its extension and the file in errors).
Result<PlotTable> ParsePlotData(std::string_view path, std::string_view content,
                                const PlotReadOptions& options = {});

// The delimited-text reader behind ParsePlotData, exposed for tests: rows of
// raw cells, each with its 1-based starting line.
struct DelimitedRow {
  int line = 0;
  std::vector<std::string> cells;
};
Result<std::vector<DelimitedRow>> ParseDelimited(std::string_view path, std::string_view content,
                                                 char delimiter);

}  // namespace conveyor
