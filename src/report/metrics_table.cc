#include "report/metrics_table.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "pipeline/params_file.h"

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

// Left-aligned columns two spaces apart; the last column is not padded.
std::string AlignColumns(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size());
  for (size_t c = 0; c < header.size(); ++c)
    widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      text += c + 1 < cells.size() ? fmt::format("{:<{}}  ", cells[c], widths[c]) : cells[c];
    }
    return text + "\n";
  };
  std::string text = line(header);
  for (const auto& row : rows)
    text += line(row);
  return text;
}

}  // namespace

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
    auto tree = LoadParamsFile(project.root() / path, path);
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
  return AlignColumns(header, Rows(files, columns, precision));
}

std::string FormatMetricsLong(const std::vector<MetricsFile>& files, int precision) {
  std::vector<std::vector<std::string>> rows;
  for (const MetricsFile& file : files) {
    for (const auto& [key, value] : file.values.items()) {
      rows.push_back({file.path, key, FormatMetricValue(value, precision)});
    }
  }
  return AlignColumns({"Path", "Metric", "Value"}, rows);
}

std::string FormatMetricsMarkdown(const std::vector<MetricsFile>& files, int precision) {
  std::vector<std::string> columns = Columns(files);
  std::string text = "| Path |";
  std::string rule = "|---|";
  for (const std::string& column : columns) {
    text += fmt::format(" {} |", column);
    rule += "---|";
  }
  text += "\n" + rule + "\n";
  for (const auto& row : Rows(files, columns, precision)) {
    text += "|";
    for (const std::string& cell : row)
      text += fmt::format(" {} |", cell);
    text += "\n";
  }
  return text;
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
