#include "report/metrics_diff.h"

#include <fmt/core.h>

#include <utility>

namespace conveyor {

MetricsDiff DiffMetrics(std::string old_revision, const std::vector<MetricsFile>& old_files,
                        std::string new_revision, const std::vector<MetricsFile>& new_files,
                        bool all) {
  return DiffRevisions(std::move(old_revision), old_files, std::move(new_revision), new_files, all);
}

std::string FormatMetricsDiff(const MetricsDiff& diff, const MetricsDiffFormat& format) {
  DiffTableFormat table;
  table.title = "Metric";
  table.old_revision = diff.old_revision;
  table.new_revision = diff.new_revision;
  table.change_column = true;
  table.path_column = format.path_column;
  table.markdown = format.markdown;
  table.decimals = format.precision;
  return FormatDiffTable(diff.changes, table);
}

nlohmann::ordered_json MetricsDiffJson(const MetricsDiff& diff) {
  return DiffJson(diff.changes, /*with_change=*/true);
}

}  // namespace conveyor
