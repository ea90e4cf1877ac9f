#include "plots/plot_data.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "pipeline/yaml_value.h"

namespace conveyor {

namespace {

using Json = nlohmann::ordered_json;

std::string LowerExtension(std::string_view path) {
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return "";
  std::string ext(path.substr(dot));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// A cell as a number when all of it (but surrounding blanks) is one.
std::optional<double> ParseNumber(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (!text.empty() && text.front() == '+')
    text.remove_prefix(1);
  if (text.empty())
    return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

PlotValue CellValue(std::string text) {
  if (std::optional<double> number = ParseNumber(text))
    return PlotValue::Number(*number, std::move(text));
  return PlotValue::Text(std::move(text));
}

PlotValue JsonCell(const Json& value) {
  if (value.is_null())
    return PlotValue();
  if (value.is_number()) {
    double number = value.get<double>();
    if (std::isfinite(number))
      return PlotValue::Number(number, value.dump());
    return PlotValue::Text(value.dump());
  }
  if (value.is_string())
    return PlotValue::Text(value.get<std::string>());
  return PlotValue::Text(value.dump());  // booleans, nested lists and objects
}

void AppendRows(const Json& list, std::vector<const Json*>* lists) {
  if (!list.empty() &&
      std::all_of(list.begin(), list.end(), [](const Json& item) { return item.is_object(); })) {
    lists->push_back(&list);
  }
}

// DVC's `_lists`: the list itself, or every list found in an object and the
// objects nested in it, in file order.
void FindLists(const Json& blob, std::vector<const Json*>* lists) {
  if (blob.is_array()) {
    AppendRows(blob, lists);
    return;
  }
  for (const auto& [key, value] : blob.items()) {
    if (value.is_object())
      FindLists(value, lists);
    else if (value.is_array())
      AppendRows(value, lists);
  }
}

Result<PlotTable> TableFromJson(std::string_view path, const Json& root) {
  if (!root.is_array() && !root.is_object()) {
    return Error(Code::kInvalid, "{}: expected a list of objects, got a {}", path,
                 root.type_name());
  }
  if (root.is_array() && !root.empty() &&
      !std::all_of(root.begin(), root.end(), [](const Json& item) { return item.is_object(); })) {
    return Error(Code::kInvalid, "{}: expected a list of objects (one per data point)", path);
  }
  std::vector<const Json*> lists;
  FindLists(root, &lists);
  PlotTable table;
  if (lists.empty()) {
    if (root.is_array())
      return table;  // an empty list: no data points
    return Error(Code::kInvalid, "{}: found no list of objects (one per data point) in the file",
                 path);
  }
  std::map<std::string, size_t, std::less<>> column;
  for (const Json* list : lists) {
    for (size_t i = 0; i < list->size(); ++i) {
      if (table.rows.size() <= i)
        table.rows.emplace_back(table.fields.size());
      for (const auto& [key, value] : (*list)[i].items()) {
        auto [it, added] = column.emplace(key, table.fields.size());
        if (added) {
          table.fields.push_back(key);
          for (auto& row : table.rows)
            row.resize(table.fields.size());
        }
        table.rows[i][it->second] = JsonCell(value);
      }
    }
  }
  return table;
}

// "line:col" of the 1-based byte offset `byte` in `content`.
std::string LineColumn(std::string_view content, size_t byte) {
  int line = 1;
  int column = 1;
  for (size_t i = 0; i + 1 < byte && i < content.size(); ++i) {
    if (content[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("{}:{}", line, column);
}

Result<PlotTable> ParseJson(std::string_view path, std::string_view content) {
  Json root;
  try {
    root = Json::parse(content);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    size_t colon = what.find(": ");
    std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
    return Error(Code::kInvalid, "{}:{}: invalid JSON: {}", path, LineColumn(content, e.byte),
                 reason);
  }
  return TableFromJson(path, root);
}

Result<PlotTable> ParseYaml(std::string_view path, std::string_view content) {
  ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(content, std::string(path)));
  return TableFromJson(path, doc.root());
}

Result<PlotTable> ParseSeparated(std::string_view path, std::string_view content, char delimiter,
                                 bool header) {
  ASSIGN_OR_RETURN(std::vector<DelimitedRow> rows, ParseDelimited(path, content, delimiter));
  PlotTable table;
  if (rows.empty())
    return table;
  size_t width = rows.front().cells.size();
  size_t first_data = 0;
  if (header) {
    table.fields = rows.front().cells;
    first_data = 1;
    for (size_t i = 0; i < width; ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (table.fields[i] == table.fields[j]) {
          return Error(Code::kInvalid, "{}:{}: field '{}' is named twice in the header", path,
                       rows.front().line, table.fields[i]);
        }
      }
    }
  } else {
    for (size_t i = 0; i < width; ++i)
      table.fields.push_back(std::to_string(i));
  }
  for (size_t r = first_data; r < rows.size(); ++r) {
    DelimitedRow& row = rows[r];
    if (row.cells.size() != width) {
      return Error(Code::kInvalid, "{}:{}: expected {} fields, found {}", path, row.line, width,
                   row.cells.size());
    }
    std::vector<PlotValue> values;
    values.reserve(width);
    for (std::string& cell : row.cells)
      values.push_back(CellValue(std::move(cell)));
    table.rows.push_back(std::move(values));
  }
  return table;
}

}  // namespace

PlotValue PlotValue::Number(double value, std::string text) {
  PlotValue cell;
  cell.kind = Kind::kNumber;
  cell.number = value;
  cell.text = std::move(text);
  return cell;
}

PlotValue PlotValue::Text(std::string text) {
  PlotValue cell;
  cell.kind = Kind::kText;
  cell.text = std::move(text);
  return cell;
}

std::optional<size_t> PlotTable::FieldIndex(std::string_view field) const {
  auto it = std::find(fields.begin(), fields.end(), field);
  if (it == fields.end())
    return std::nullopt;
  return static_cast<size_t>(it - fields.begin());
}

PlotFileKind ClassifyPlotFile(std::string_view path) {
  std::string ext = LowerExtension(path);
  if (ext == ".json" || ext == ".yaml" || ext == ".yml" || ext == ".csv" || ext == ".tsv")
    return PlotFileKind::kData;
  if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".gif" || ext == ".svg")
    return PlotFileKind::kImage;
  return PlotFileKind::kUnsupported;
}

Result<std::vector<DelimitedRow>> ParseDelimited(std::string_view path, std::string_view content,
                                                 char delimiter) {
  std::vector<DelimitedRow> rows;
  DelimitedRow row;
  std::string cell;
  int line = 1;
  bool in_row = false;      // something of the current row has been read
  bool quoted = false;      // inside a quoted field
  bool was_quoted = false;  // the current field was quoted (text may not follow)
  int quote_line = 0;
  auto end_cell = [&] {
    row.cells.push_back(std::move(cell));
    cell.clear();
    was_quoted = false;
  };
  auto end_row = [&] {
    if (in_row) {
      end_cell();
      rows.push_back(std::move(row));
    }
    row = DelimitedRow();
    in_row = false;
  };
  for (size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < content.size() && content[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
          was_quoted = true;
        }
      } else {
        if (c == '\n')
          ++line;
        cell += c;
      }
      continue;
    }
    if (!in_row) {
      row.line = line;
      if (c == '\n') {  // blank lines separate nothing; skip them
        ++line;
        continue;
      }
      if (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n')
        continue;
      in_row = true;
    }
    if (c == delimiter) {
      end_cell();
    } else if (c == '\n') {
      end_row();
      ++line;
    } else if (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') {
      // CRLF: the '\n' ends the row.
    } else if (c == '"' && cell.empty() && !was_quoted) {
      quoted = true;
      quote_line = line;
    } else if (was_quoted) {
      return Error(Code::kInvalid, "{}:{}: unexpected '{}' after a closing quote", path, line,
                   std::string(1, c));
    } else {
      cell += c;
    }
  }
  if (quoted)
    return Error(Code::kInvalid, "{}:{}: quoted field is never closed", path, quote_line);
  end_row();
  return rows;
}

Result<PlotTable> ParsePlotData(std::string_view path, std::string_view content,
                                const PlotReadOptions& options) {
  std::string ext = LowerExtension(path);
  if (ext == ".json")
    return ParseJson(path, content);
  if (ext == ".yaml" || ext == ".yml")
    return ParseYaml(path, content);
  if (ext == ".csv")
    return ParseSeparated(path, content, ',', options.header);
  if (ext == ".tsv")
    return ParseSeparated(path, content, '\t', options.header);
  return Error(Code::kInvalid,
               "{}: unsupported plot data file type{} (expected .json, .yaml, .yml, .csv or .tsv)",
               path, ext.empty() ? "" : " '" + ext + "'");
}

}  // namespace conveyor
