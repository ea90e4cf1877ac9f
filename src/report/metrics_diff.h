// `metrics diff`: the metrics files of two revisions compared key by key, as
// DVC's `dvc metrics diff` prints them:
//
//   Path          Metric    HEAD     workspace  Change
//   metrics.json  accuracy  0.9      0.95       0.05
//
// Numbers are rounded to `precision` decimal places (DVC's round_digits; the
// default 5), and so is the change; a value that is not a number is shown
// but not diffed (Change "-"); a metric on one side only shows "-" on the
// other. A metrics file that is missing or malformed at one revision is
// named in a warning; its values count as absent there.
//
// Pure functions over what CollectMetrics read at each revision.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/metrics_table.h"
#include "report/value_diff.h"

namespace conveyor {

using MetricsDiff = RevisionsDiff;

// Compares `old_files` (at `old_revision`) with `new_files`; with `all`,
// unchanged metrics are listed too.
MetricsDiff DiffMetrics(std::string old_revision, const std::vector<MetricsFile>& old_files,
                        std::string new_revision, const std::vector<MetricsFile>& new_files,
                        bool all);

struct MetricsDiffFormat {
  int precision = 5;        // decimal places, as DVC's --precision
  bool markdown = false;    // --md
  bool path_column = true;  // false: --no-path
};

// The table (text or Markdown); empty when nothing changed.
std::string FormatMetricsDiff(const MetricsDiff& diff, const MetricsDiffFormat& format);

// {path: {metric: {"old": v, "new": v, "diff": d}}} as DVC's --json (values
// unrounded; null for an absent value; no "diff" for non-numbers).
nlohmann::ordered_json MetricsDiffJson(const MetricsDiff& diff);

}  // namespace conveyor
