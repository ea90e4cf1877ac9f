// `exp show`: experiments as one row each, with a column per metric and per
// parameter, like `dvc exp show`.
//
// Columns: Experiment (the tag; "*" marks a run on a work tree with
// uncommitted changes), Created (UTC), Status, then the metrics, then the
// params. A column is named by its key ("accuracy", "train.max_depth"), or
// "file:key" when the same key appears in two files.
//
// Pure functions.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "registry/registry_store.h"

namespace conveyor {

struct ExpTableOptions {
  // Sort by this metric or param column ("accuracy", "metrics.json:accuracy");
  // empty: as given (newest first from the store). Rows without the value
  // sort last.
  std::string sort_by;
  bool ascending = false;
  // Keep only metric and param columns whose value differs between rows.
  bool only_changed = false;
  // ECMAScript regular expressions matched against whole column titles:
  // with `keep`, only matching metric/param columns stay; `drop` removes
  // matching ones. Empty: no filter.
  std::string keep;
  std::string drop;
  int precision = 5;  // significant digits for numbers
};

struct ExpTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> order;  // the experiments' indexes, in row order
};

// kInvalid when sort_by names no column, or keep/drop is not a valid
// regular expression (with the nearest one suggested).
Result<ExpTable> BuildExpTable(const std::vector<ExperimentRecord>& experiments,
                               const ExpTableOptions& options);

// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled.
std::string FormatCsv(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows);

}  // namespace conveyor
