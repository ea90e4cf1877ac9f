#include "plots/plot_figure.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/nearest.h"

namespace conveyor {

namespace {

constexpr char kIndexField[] = "step";

// The y fields: the spec's, or the last field of the first row of the first
// file found in any revision.
Result<std::vector<FieldRef>> ResolveY(const PlotSpec& spec,
                                       const std::vector<RevisionData>& revisions) {
  if (!spec.y.empty())
    return spec.y;
  if (spec.files.empty())
    return Error(Code::kInvalid, "{}: the plot names no data file", spec.id);
  const std::string& file = spec.files.front();
  for (const RevisionData& revision : revisions) {
    auto it = revision.tables.find(file);
    if (it == revision.tables.end())
      continue;
    const PlotTable& table = it->second;
    if (table.rows.empty())
      return Error(Code::kInvalid, "{}: no data points", file);
    for (size_t i = table.fields.size(); i-- > 0;) {
      if (!table.rows.front()[i].is_missing())
        return std::vector<FieldRef>{{file, table.fields[i]}};
    }
    return Error(Code::kInvalid, "{}: the first data point has no fields", file);
  }
  return Error(Code::kNotFound, "{}: file not found", file);
}

Result<size_t> FieldColumn(const PlotTable& table, const FieldRef& ref) {
  if (std::optional<size_t> column = table.FieldIndex(ref.field))
    return *column;
  return Error(Code::kInvalid, "{}: no field '{}'{}; the file has: {}", ref.file, ref.field,
               DidYouMean(ref.field, table.fields), fmt::join(table.fields, ", "));
}

// The directory part shared by all `files`, to drop from series labels.
size_t CommonDirPrefix(const std::vector<std::string>& files) {
  if (files.size() < 2)
    return 0;
  size_t common = files.front().size();
  for (const std::string& file : files) {
    size_t i = 0;
    while (i < common && i < file.size() && file[i] == files.front()[i])
      ++i;
    common = i;
  }
  size_t slash = files.front().rfind('/', common == 0 ? 0 : common - 1);
  return slash == std::string::npos || common == 0 ? 0 : slash + 1;
}

std::vector<std::string> YLabels(const std::vector<FieldRef>& ys) {
  std::vector<std::string> files;
  for (const FieldRef& y : ys) {
    if (std::find(files.begin(), files.end(), y.file) == files.end())
      files.push_back(y.file);
  }
  size_t prefix = CommonDirPrefix(files);
  std::vector<std::string> labels;
  labels.reserve(ys.size());
  for (const FieldRef& y : ys) {
    labels.push_back(files.size() > 1 ? fmt::format("{}: {}", y.file.substr(prefix), y.field)
                                      : y.field);
  }
  return labels;
}

struct Axes {
  std::string x_label;
  std::string y_label;
};

Axes DefaultLabels(const PlotSpec& spec, const std::vector<FieldRef>& xs,
                   const std::vector<FieldRef>& ys) {
  std::set<std::string> x_fields;
  for (const FieldRef& x : xs)
    x_fields.insert(x.field);
  std::set<std::string> y_fields;
  for (const FieldRef& y : ys)
    y_fields.insert(y.field);
  Axes axes;
  axes.x_label = spec.x_label           ? *spec.x_label
                 : xs.empty()           ? kIndexField
                 : x_fields.size() == 1 ? *x_fields.begin()
                                        : "x";
  axes.y_label = spec.y_label ? *spec.y_label : y_fields.size() == 1 ? *y_fields.begin() : "y";
  return axes;
}

// One series: `y` from its table, x from the index or the x field (from the
// same table, or another joined row by row).
Result<Series> MakeSeries(const RevisionData& revision, const FieldRef& y,
                          const std::optional<FieldRef>& x, std::string label) {
  const PlotTable& y_table = revision.tables.at(y.file);
  ASSIGN_OR_RETURN(size_t y_column, FieldColumn(y_table, y));
  Series series;
  series.label = std::move(label);
  for (const auto& row : y_table.rows)
    series.y.push_back(row[y_column]);
  if (!x) {
    for (size_t i = 0; i < y_table.rows.size(); ++i)
      series.x.push_back(PlotValue::Number(static_cast<double>(i), std::to_string(i)));
    return series;
  }
  auto it = revision.tables.find(x->file);
  if (it == revision.tables.end())
    return Error(Code::kNotFound, "{}: file not found (for x '{}')", x->file, x->field);
  const PlotTable& x_table = it->second;
  ASSIGN_OR_RETURN(size_t x_column, FieldColumn(x_table, *x));
  if (x_table.rows.size() != y_table.rows.size()) {
    return Error(Code::kInvalid,
                 "cannot join x '{}' from {} ({} rows) with y '{}' from {} ({} rows); they must "
                 "have the same number of rows",
                 x->field, x->file, x_table.rows.size(), y.field, y.file, y_table.rows.size());
  }
  for (const auto& row : x_table.rows)
    series.x.push_back(row[x_column]);
  return series;
}

}  // namespace

Result<Figure> BuildFigure(const PlotSpec& spec, const std::vector<RevisionData>& revisions) {
  ASSIGN_OR_RETURN(std::vector<FieldRef> ys, ResolveY(spec, revisions));
  // One x per y (nullopt: the index).
  std::vector<std::optional<FieldRef>> xs(ys.size());
  for (size_t i = 0; i < ys.size(); ++i) {
    if (spec.x.empty())
      continue;
    FieldRef x = spec.x.size() == 1 ? spec.x.front() : spec.x[i];
    if (x.file.empty())
      x.file = ys[i].file;
    xs[i] = std::move(x);
  }
  std::vector<FieldRef> x_refs;
  for (const auto& x : xs) {
    if (x)
      x_refs.push_back(*x);
  }
  Axes axes = DefaultLabels(spec, x_refs, ys);
  Figure figure;
  figure.tmpl = spec.tmpl;
  figure.title = spec.title ? *spec.title : spec.id;
  figure.x_label = axes.x_label;
  figure.y_label = axes.y_label;

  // Confusion matrices pair one x with one y per revision.
  size_t per_revision = IsConfusion(spec.tmpl) ? 1 : ys.size();
  std::vector<std::string> labels = YLabels(ys);
  std::vector<const RevisionData*> present;
  for (const RevisionData& revision : revisions) {
    bool any = std::any_of(ys.begin(), ys.begin() + static_cast<long>(per_revision),
                           [&](const FieldRef& y) { return revision.tables.count(y.file) > 0; });
    if (any)
      present.push_back(&revision);
  }
  if (present.empty()) {
    return Error(Code::kNotFound, "{}: file not found",
                 fmt::join(spec.files.begin(), spec.files.end(), ", "));
  }
  for (const RevisionData* revision : present) {
    for (size_t i = 0; i < per_revision; ++i) {
      if (revision->tables.count(ys[i].file) == 0)
        continue;
      std::string label = labels[i];
      if (present.size() > 1)
        label = per_revision == 1 ? revision->revision
                                  : fmt::format("{}: {}", revision->revision, labels[i]);
      ASSIGN_OR_RETURN(Series series, MakeSeries(*revision, ys[i], xs[i], std::move(label)));
      figure.series.push_back(std::move(series));
    }
  }
  size_t points = 0;
  for (const Series& series : figure.series)
    points += series.y.size();
  if (points == 0) {
    return Error(Code::kInvalid, "{}: no data points",
                 fmt::join(spec.files.begin(), spec.files.end(), ", "));
  }
  return figure;
}

}  // namespace conveyor
