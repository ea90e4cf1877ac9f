// `metrics show`: the metrics files a pipeline declares, read and flattened
// to dotted keys, and rendered as a terminal table, Markdown or JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/file_reader.h"
#include "pipeline/project.h"
#include "pipeline/workspace.h"

namespace conveyor {

struct MetricsFile {
  std::string path;  // project-relative
  // Scalar values by dotted key, in file order; lists are left out.
  nlohmann::ordered_json values = nlohmann::ordered_json::object();
  std::string error;  // set when the file is missing or unreadable
};

// Every metrics file declared in the workspace — top-level `metrics:` of each
// dvc.yaml and stage outputs under `metrics:` — in declaration order, each
// once. A file that cannot be read is reported in `error`, not fatal.
std::vector<MetricsFile> CollectMetrics(const Project& project, const Workspace& workspace);
// The same for any revision: `workspace` is the project as that revision has
// it and `read` reads its files (RevisionView's workspace() and reader()).
std::vector<MetricsFile> CollectMetrics(const Workspace& workspace, const FileReader& read);

// Reads `path` through `read` and parses it as a params file does (JSON,
// TOML or YAML by extension). kNotFound "'<path>' does not exist".
Result<nlohmann::ordered_json> ReadValuesFile(const FileReader& read, const std::string& path);

// Numbers are shown with at most `precision` significant digits (DVC's
// default is 5).
std::string FormatMetricsTable(const std::vector<MetricsFile>& files, int precision);
// One row per value ("Path  Metric  Value"), for files with many keys.
std::string FormatMetricsLong(const std::vector<MetricsFile>& files, int precision);
std::string FormatMetricsMarkdown(const std::vector<MetricsFile>& files, int precision);
nlohmann::ordered_json MetricsJson(const std::vector<MetricsFile>& files);

// One value as the tables show it: numbers rounded to `precision`
// significant digits, strings as they are, booleans as true/false.
std::string FormatMetricValue(const nlohmann::ordered_json& value, int precision);

}  // namespace conveyor
