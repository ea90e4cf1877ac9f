// A plot definition plus its data, per revision, made into a Figure — DVC's
// VegaConverter semantics (dvc/render/converter/vega.py) without Vega:
//   - y: the spec's fields; none given → the last field of the first row of
//     the plot's first file;
//   - x: none → the row index 0, 1, 2, ... labelled "step"; one field → used
//     for every y (read from each y's own file unless the spec names the
//     file); several → paired with the y's in order, joined row by row (the
//     files must have the same number of rows);
//   - labels: x_label / y_label when given, else the x field (or "step") and
//     the y field when every y has the same name (else "y");
//   - title: the spec's, else the plot id.
// Series are labelled so a legend can tell them apart: the field (or
// "file: field" when several files are involved) for one revision, the
// revision alone when each revision has one y, "revision: ..." otherwise.
//
// Thread safety: free functions over values.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "plots/figure.h"
#include "plots/plot_data.h"
#include "plots/plot_spec.h"

namespace conveyor {

// One revision's data for a plot.
struct RevisionData {
  std::string revision;  // "workspace", "HEAD", ...
  // The spec's files that exist in this revision, parsed, by project-relative
  // path.
  std::map<std::string, PlotTable> tables;
};

// Builds the figure for `spec` from each revision's tables (in the order
// given). A revision lacking every file of the plot is skipped; a missing
// field is kInvalid naming the file, the field, the fields it has and the
// nearest one; a plot with no revision data is kNotFound.
Result<Figure> BuildFigure(const PlotSpec& spec, const std::vector<RevisionData>& revisions);

}  // namespace conveyor
