#include "report/value_diff.h"

#include <fmt/core.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <set>

#include "report/text_table.h"

namespace conveyor {

namespace {

using Json = nlohmann::ordered_json;

bool IsNumber(const Json& value) { return value.is_number(); }  // false for booleans

// The value as an int64 when it is an integer that fits.
std::optional<int64_t> AsInt64(const Json& value) {
  if (value.is_number_unsigned()) {
    auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer())
    return value.get<int64_t>();
  return std::nullopt;
}

std::optional<Json> Change(const std::optional<Json>& old_value,
                           const std::optional<Json>& new_value) {
  if (!old_value || !new_value || !IsNumber(*old_value) || !IsNumber(*new_value))
    return std::nullopt;
  std::optional<int64_t> a = AsInt64(*old_value);
  std::optional<int64_t> b = AsInt64(*new_value);
  if (a && b)
    return Json(*b - *a);
  return Json(new_value->get<double>() - old_value->get<double>());
}

// Python's repr of a float: the shortest text that reads back the same, with
// ".0" on integral values in fixed notation.
std::string PythonFloat(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_not_of("-0123456789") == std::string::npos)
    text += ".0";
  return text;
}

// Python's round(value, decimals): correctly rounded to a decimal, then read
// back as the nearest double.
double Round(double value, int decimals) {
  std::string text = fmt::format("{:.{}f}", value, decimals);
  return std::strtod(text.c_str(), nullptr);
}

}  // namespace

std::vector<ValueChange> DiffValues(const FlatValues& old_files, const FlatValues& new_files,
                                    bool all) {
  std::set<std::string> paths;
  for (const FlatValues* side : {&old_files, &new_files}) {
    for (const auto& [path, values] : *side)
      paths.insert(path);
  }
  std::vector<ValueChange> changes;
  for (const std::string& path : paths) {
    auto values_of = [&path](const FlatValues& side) -> const Json* {
      auto it = side.find(path);
      return it != side.end() && it->second.is_object() ? &it->second : nullptr;
    };
    const Json* old_values = values_of(old_files);
    const Json* new_values = values_of(new_files);
    std::set<std::string> keys;
    for (const Json* values : {old_values, new_values}) {
      if (values == nullptr)
        continue;
      for (const auto& [key, value] : values->items())
        keys.insert(key);
    }
    auto lookup = [](const Json* values, const std::string& key) -> std::optional<Json> {
      if (values == nullptr || !values->contains(key))
        return std::nullopt;
      return values->at(key);
    };
    for (const std::string& key : keys) {
      ValueChange change{path, key, lookup(old_values, key), lookup(new_values, key), std::nullopt};
      if (!all && change.old_value == change.new_value)
        continue;
      change.change = Change(change.old_value, change.new_value);
      changes.push_back(std::move(change));
    }
  }
  return changes;
}

std::string FormatDiffCell(const std::optional<Json>& value, std::optional<int> decimals) {
  if (!value)
    return "-";
  if (value->is_number_float()) {
    double number = value->get<double>();
    return PythonFloat(decimals ? Round(number, *decimals) : number);
  }
  if (value->is_string())
    return value->get<std::string>();
  return value->dump();
}

std::string FormatDiffTable(const std::vector<ValueChange>& changes,
                            const DiffTableFormat& format) {
  if (changes.empty())
    return "";
  TableRow header;
  if (format.path_column)
    header.push_back("Path");
  header.insert(header.end(), {format.title, format.old_revision, format.new_revision});
  if (format.change_column)
    header.push_back("Change");
  std::vector<TableRow> rows;
  for (const ValueChange& change : changes) {
    TableRow row;
    if (format.path_column)
      row.push_back(change.path);
    row.push_back(change.key);
    row.push_back(FormatDiffCell(change.old_value, format.decimals));
    row.push_back(FormatDiffCell(change.new_value, format.decimals));
    if (format.change_column)
      row.push_back(FormatDiffCell(change.change, format.decimals));
    rows.push_back(std::move(row));
  }
  return format.markdown ? FormatMarkdownTable(header, rows) : FormatTextTable(header, rows);
}

Json DiffJson(const std::vector<ValueChange>& changes, bool with_change) {
  Json json = Json::object();
  for (const ValueChange& change : changes) {
    Json entry = {{"old", change.old_value.value_or(Json())},
                  {"new", change.new_value.value_or(Json())}};
    if (with_change && change.change)
      entry["diff"] = *change.change;
    json[change.path][change.key] = std::move(entry);
  }
  return json;
}

}  // namespace conveyor
