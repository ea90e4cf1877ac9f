#include "experiments/exp_table.h"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>

#include "common/nearest.h"
#include "registry/registry_json.h"
#include "report/metrics_table.h"

namespace conveyor {

namespace {

using Json = nlohmann::ordered_json;

// One metric or param column: where its values come from, and its title.
struct ValueColumn {
  bool metric = true;
  std::string file;
  std::string key;
  std::string title;
};

// Columns in first-seen order over (file, key); titles qualified by file
// only where a key repeats.
std::vector<ValueColumn> CollectColumns(const std::vector<ExperimentRecord>& experiments,
                                        bool metric) {
  std::vector<ValueColumn> columns;
  std::map<std::string, int> key_files;
  for (const ExperimentRecord& record : experiments) {
    const Json& section = metric ? record.metrics : record.params;
    for (const auto& file_item : section.items()) {
      const std::string& file = file_item.key();
      for (const auto& value_item : file_item.value().items()) {
        const std::string& key = value_item.key();
        bool seen = std::any_of(columns.begin(), columns.end(), [&](const ValueColumn& c) {
          return c.file == file && c.key == key;
        });
        if (!seen) {
          columns.push_back({metric, file, key, key});
          ++key_files[key];
        }
      }
    }
  }
  for (ValueColumn& column : columns) {
    if (key_files[column.key] > 1)
      column.title = column.file + ":" + column.key;
  }
  return columns;
}

const Json* Lookup(const ExperimentRecord& record, const ValueColumn& column) {
  const Json& section = column.metric ? record.metrics : record.params;
  auto file = section.find(column.file);
  if (file == section.end() || !file->is_object())
    return nullptr;
  auto value = file->find(column.key);
  return value == file->end() ? nullptr : &*value;
}

std::string Cell(const ExperimentRecord& record, const ValueColumn& column, int precision) {
  const Json* value = Lookup(record, column);
  if (value == nullptr)
    return "-";
  if (value->is_array() || value->is_object())
    return value->dump();
  return FormatMetricValue(*value, precision);
}

bool Varies(const std::vector<ExperimentRecord>& experiments, const ValueColumn& column) {
  std::optional<std::string> first;
  for (const ExperimentRecord& record : experiments) {
    const Json* value = Lookup(record, column);
    std::string text = value ? value->dump() : "<absent>";
    if (!first)
      first = text;
    else if (*first != text)
      return true;
  }
  return false;
}

// Numbers before strings, both ascending; the caller reverses for
// descending but keeps missing values last.
bool LessValue(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number())
    return a.get<double>() < b.get<double>();
  if (a.is_number() != b.is_number())
    return a.is_number();
  return a.dump() < b.dump();
}

}  // namespace

Result<ExpTable> BuildExpTable(const std::vector<ExperimentRecord>& experiments,
                               const ExpTableOptions& options) {
  std::vector<ValueColumn> columns = CollectColumns(experiments, /*metric=*/true);
  std::vector<ValueColumn> params = CollectColumns(experiments, /*metric=*/false);
  columns.insert(columns.end(), params.begin(), params.end());

  ExpTable table;
  table.order.resize(experiments.size());
  for (size_t i = 0; i < experiments.size(); ++i)
    table.order[i] = i;
  if (!options.sort_by.empty()) {
    auto sort_column = std::find_if(columns.begin(), columns.end(), [&](const ValueColumn& c) {
      return c.title == options.sort_by || c.file + ":" + c.key == options.sort_by ||
             c.key == options.sort_by;
    });
    if (sort_column == columns.end()) {
      std::vector<std::string> titles;
      titles.reserve(columns.size());
      for (const ValueColumn& column : columns)
        titles.push_back(column.title);
      return Error(Code::kInvalid, "--sort-by: no metric or param column '{}'{}", options.sort_by,
                   DidYouMean(options.sort_by, titles));
    }
    std::stable_sort(table.order.begin(), table.order.end(), [&](size_t a, size_t b) {
      const Json* va = Lookup(experiments[a], *sort_column);
      const Json* vb = Lookup(experiments[b], *sort_column);
      if (va == nullptr || vb == nullptr)
        return va != nullptr && vb == nullptr;
      return options.ascending ? LessValue(*va, *vb) : LessValue(*vb, *va);
    });
  }
  for (const auto& filter : {std::pair{&options.keep, true}, {&options.drop, false}}) {
    const std::string* pattern = filter.first;
    const bool keep = filter.second;
    if (pattern->empty())
      continue;
    std::regex regex;
    try {
      regex = std::regex(*pattern);
    } catch (const std::regex_error& e) {
      return Error(Code::kInvalid, "--{} '{}': not a valid regular expression ({})",
                   keep ? "keep" : "drop", *pattern, e.what());
    }
    std::erase_if(columns,
                  [&](const ValueColumn& c) { return std::regex_match(c.title, regex) != keep; });
  }
  if (options.only_changed) {
    std::erase_if(columns, [&](const ValueColumn& c) { return !Varies(experiments, c); });
  }

  table.header = {"Experiment", "Created", "Status"};
  for (const ValueColumn& column : columns)
    table.header.push_back(column.title);
  for (size_t index : table.order) {
    const ExperimentRecord& record = experiments[index];
    std::vector<std::string> row = {record.tag + (record.dirty ? "*" : ""),
                                    FormatTimestampShort(record.started_at_ms),
                                    std::string(ExperimentStatusName(record.status))};
    for (const ValueColumn& column : columns)
      row.push_back(Cell(record, column, options.precision));
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string FormatCsv(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows) {
  auto field = [](const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos)
      return text;
    std::string quoted = "\"";
    for (char c : text) {
      if (c == '"')
        quoted += '"';
      quoted += c;
    }
    return quoted + "\"";
  };
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < cells.size(); ++i)
      text += (i ? "," : "") + field(cells[i]);
    return text + "\r\n";
  };
  std::string text = line(header);
  for (const auto& row : rows)
    text += line(row);
  return text;
}

}  // namespace conveyor
