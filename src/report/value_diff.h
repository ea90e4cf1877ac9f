// Comparing flattened values (dotted key -> leaf) of files at two revisions,
// as DVC's dvc/utils/diff.py and dvc/compare.py do: the core of
// `metrics diff` and `params diff`.
//
// Pure functions.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace conveyor {

// One revision's files: project-relative path -> a flat object of values
// (dotted key -> number, string, bool, null, list or empty mapping).
using FlatValues = std::map<std::string, nlohmann::ordered_json>;

struct ValueChange {
  std::string path;
  std::string key;
  std::optional<nlohmann::ordered_json> old_value;  // nullopt: absent at the old revision
  std::optional<nlohmann::ordered_json> new_value;  // nullopt: absent at the new revision
  // new - old when both are numbers (booleans are not): an integer for two
  // integers, else a double. nullopt otherwise.
  std::optional<nlohmann::ordered_json> change;

  bool operator==(const ValueChange&) const = default;
};

// Every key of every path on either side, sorted by path then key (as DVC
// prints them); with `all` false, only those whose values differ (1 and 1.0
// are equal, as in Python).
// The values of every file that could be read, by path; each file that
// could not is named in `warnings` as "<revision>: <error>". `File` has
// `path`, `values` and `error` (MetricsFile, ParamsValues).
template <typename File>
FlatValues ReadableValues(const std::string& revision, const std::vector<File>& files,
                          std::vector<std::string>* warnings) {
  FlatValues values;
  for (const File& file : files) {
    if (!file.error.empty()) {
      warnings->push_back(revision + ": " + file.error);
      continue;
    }
    values[file.path] = file.values;
  }
  return values;
}

// Two revisions' values compared key by key: what `metrics diff`,
// `params diff` and `exp diff` print.
struct RevisionsDiff {
  std::string old_revision;  // as the user named it: "HEAD"
  std::string new_revision;  // "workspace"
  std::vector<ValueChange> changes;
  // "<revision>: <error>" for each file that could not be read, old side
  // first.
  std::vector<std::string> warnings;
};

std::vector<ValueChange> DiffValues(const FlatValues& old_files, const FlatValues& new_files,
                                    bool all);

// One table cell: "-" for an absent value; a number rounded to `decimals`
// places when given (Python's round), then as Python prints it ("0.01",
// "1e-05", "2.0"); integers as they are; strings unquoted; true/false; lists
// and mappings as compact JSON.
std::string FormatDiffCell(const std::optional<nlohmann::ordered_json>& value,
                           std::optional<int> decimals);

struct DiffTableFormat {
  std::string title;         // "Metric" or "Param"
  std::string old_revision;  // column headers: the revisions as named
  std::string new_revision;
  bool change_column = true;  // "Change": the difference, or "-"
  bool path_column = true;    // false: --no-path
  bool markdown = false;
  std::optional<int> decimals;  // rounding of numbers; nullopt: none
};

// "Path  Metric  HEAD  workspace  Change" and one row per change. Empty
// (not even a header) when there are no changes, as DVC prints nothing.
std::string FormatDiffTable(const std::vector<ValueChange>& changes, const DiffTableFormat& format);

// {path: {key: {"old": v, "new": v[, "diff": d]}}}, an absent value as null;
// "diff" only when `with_change` and the change is numeric.
nlohmann::ordered_json DiffJson(const std::vector<ValueChange>& changes, bool with_change);

// Compares the readable files of each side (see ReadableValues); with
// `all`, unchanged values are listed too.
template <typename File>
RevisionsDiff DiffRevisions(std::string old_revision, const std::vector<File>& old_files,
                            std::string new_revision, const std::vector<File>& new_files,
                            bool all) {
  RevisionsDiff diff;
  diff.old_revision = std::move(old_revision);
  diff.new_revision = std::move(new_revision);
  FlatValues old_values = ReadableValues(diff.old_revision, old_files, &diff.warnings);
  FlatValues new_values = ReadableValues(diff.new_revision, new_files, &diff.warnings);
  diff.changes = DiffValues(old_values, new_values, all);
  return diff;
}

}  // namespace conveyor
