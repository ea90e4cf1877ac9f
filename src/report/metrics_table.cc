#include "report/metrics_table.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "pipeline/params_file.h"
#include "report/text_table.h"

namespace conveyor {

namespace {

using Json = nlohmann::ordered_json;

// The union of keys over all files, in first-seen order.
std::vector<std::string> Columns(const std::vector<MetricsFile>& files) {
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const MetricsFile& file : files) {
    for (const auto& [key, value] : file.values.items()) {
      if (seen.insert(key).second)
        columns.push_back(key);
    }
  }
  return columns;
}

std::vector<std::vector<std::string>> Rows(const std::vector<MetricsFile>& files,
                                           const std::vector<std::string>& columns, int precision) {
  std::vector<std::vector<std::string>> rows;
  for (const MetricsFile& file : files) {
    std::vector<std::string> row = {file.path};
    for (const std::string& column : columns) {
      row.push_back(file.values.contains(column)
                        ? FormatMetricValue(file.values.at(column), precision)
                        : "-");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

Result<Json> ReadValuesFile(const FileReader& read, const std::string& path) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, read(path));
  if (!text)
    return Error(Code::kNotFound, "'{}' does not exist", path);
  return ParseParamsText(*text, path);
}

std::string FormatMetricValue(const Json& value, int precision) {
  if (value.is_number_integer() || value.is_number_unsigned())
    return value.dump();
  if (value.is_number_float())
    return fmt::format("{:.{}g}", value.get<double>(), precision);
  if (value.is_string())
    return value.get<std::string>();
  return value.dump();
}

std::vector<MetricsFile> CollectMetrics(const Project& project, const Workspace& workspace) {
  return CollectMetrics(workspace, DiskFileReader(project.root()));
}

std::vector<MetricsFile> CollectMetrics(const Workspace& workspace, const FileReader& read) {
  std::vector<std::string> paths;
  auto add = [&](const std::string& path) {
    if (std::find(paths.begin(), paths.end(), path) == paths.end())
      paths.push_back(path);
  };
  for (const PipelineFile& pipeline : workspace.pipelines()) {
    for (const std::string& path : pipeline.metrics) {
      auto joined = JoinProjectPath(ParentDir(pipeline.path), path);
      if (joined.ok())
        add(*joined);
    }
  }
  for (const StageNode& node : workspace.dag().nodes()) {
    for (size_t i = 0; i < node.stage.outs.size(); ++i) {
      if (node.stage.outs[i].kind == OutKind::kMetric)
        add(node.out_paths[i]);
    }
  }
  std::vector<MetricsFile> files;
  for (const std::string& path : paths) {
    MetricsFile file;
    file.path = path;
    auto tree = ReadValuesFile(read, path);
    if (!tree.ok()) {
      file.error = tree.status().message();
    } else {
      Json flat = FlattenParams(*tree);  // kept alive for the loop below
      for (const auto& [key, value] : flat.items()) {
        if (!value.is_array() && !value.is_object())
          file.values[key] = value;
      }
    }
    files.push_back(std::move(file));
  }
  return files;
}

std::string FormatMetricsTable(const std::vector<MetricsFile>& files, int precision) {
  std::vector<std::string> columns = Columns(files);
  std::vector<std::string> header = {"Path"};
  header.insert(header.end(), columns.begin(), columns.end());
  return FormatTextTable(header, Rows(files, columns, precision));
}

std::string FormatMetricsLong(const std::vector<MetricsFile>& files, int precision) {
  std::vector<std::vector<std::string>> rows;
  for (const MetricsFile& file : files) {
    for (const auto& [key, value] : file.values.items()) {
      rows.push_back({file.path, key, FormatMetricValue(value, precision)});
    }
  }
  return FormatTextTable({"Path", "Metric", "Value"}, rows);
}

std::string FormatMetricsMarkdown(const std::vector<MetricsFile>& files, int precision) {
  std::vector<std::string> columns = Columns(files);
  std::vector<std::string> header = {"Path"};
  header.insert(header.end(), columns.begin(), columns.end());
  return FormatMarkdownTable(header, Rows(files, columns, precision));
}

Json MetricsJson(const std::vector<MetricsFile>& files) {
  Json json = Json::object();
  for (const MetricsFile& file : files) {
    json[file.path] =
        file.error.empty() ? Json{{"data", file.values}} : Json{{"error", file.error}};
  }
  return json;
}

}  // namespace conveyor
