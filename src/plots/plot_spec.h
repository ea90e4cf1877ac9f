// Plot definitions collected from a workspace as DVC 3 collects them
// (dvc/repo/plots/__init__.py):
//   - stage outputs under `plots:`, with their props (x, y, template, title,
//     x_label, y_label, header); the plot id is the output's
//     project-relative path;
//   - top-level `plots:` entries of each dvc.yaml, each either
//       a path string (a file, or a directory whose every file is a plot), or
//       {id: {props}}. When `y` is a mapping {file: field-or-list}, the id is
//       a name and the files are the mapping's keys; otherwise the id is a
//       path (file or directory) and `y` a field or a list of fields.
//       `x` is a field name, or a mapping {file: field} joined to the y data
//       row by row.
//     Paths are relative to the dvc.yaml's directory.
// A directory plot becomes one plot per file inside it, each with the
// directory's props. When a top-level entry and a stage output name the same
// id, the top-level definition is used (it was written for display).
//
// Defaults as DVC's: template `linear`; no `x` → the row index, labelled
// "step"; no `y` → the last field of the first data row (see plot_figure.h).
//
// Thread safety: free functions over values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/workspace.h"
#include "plots/plot_source.h"
#include "plots/plot_template.h"

namespace conveyor {

// A field of a data file. An empty `file` in PlotSpec::x means "the file of
// the y it pairs with".
struct FieldRef {
  std::string file;  // project-relative
  std::string field;

  bool operator==(const FieldRef&) const = default;
};

struct PlotSpec {
  std::string id;       // "plots/loss.csv", or a top-level name ("roc")
  std::string dvcfile;  // the dvc.yaml defining it; empty for a bare target file
  // The files the plot reads, project-relative, in order (each y's file; an
  // image plot's single image).
  std::vector<std::string> files;
  bool image = false;  // an image file, shown as it is
  PlotTemplate tmpl = PlotTemplate::kLinear;
  // The y fields, in order. Empty: inferred from files[0] (its first row's
  // last field).
  std::vector<FieldRef> y;
  // Empty: the row index "step". One: used for every y. Otherwise one per y.
  std::vector<FieldRef> x;
  std::optional<std::string> title;
  std::optional<std::string> x_label;
  std::optional<std::string> y_label;
  bool header = true;  // CSV/TSV files have a header row
};

struct CollectedPlots {
  std::vector<PlotSpec> plots;
  // Definitions that could not be understood, one message each
  // ("dvc.yaml: plots entry 'roc': x: expected a field name or a mapping
  // {file: field}, got list"). The other plots are still collected.
  std::vector<std::string> errors;
};

// Every plot the workspace defines, stage outputs first (in stage order), then
// top-level entries (in file order), each id once. `list_dir` expands
// directory plots (PlotSource::list_dir).
CollectedPlots CollectPlotSpecs(const Workspace& workspace, const PlotSource& source);

// One top-level `plots:` entry (JSON text as PipelineFile::plots holds it) of
// the dvc.yaml at project-relative `dvcfile`. Exposed for tests.
Result<std::vector<PlotSpec>> ParseTopLevelPlot(const std::string& entry_json,
                                                const std::string& dvcfile,
                                                const PlotSource& source);

// A plot for the stage output at project-relative `path` with `plot_props`
// (OutSpec::plot_props; may be empty).
Result<std::vector<PlotSpec>> PlotSpecsForOutput(const std::string& path,
                                                 const std::string& plot_props,
                                                 const std::string& dvcfile,
                                                 const PlotSource& source);

// A plot for a file or directory named on the command line that no dvc.yaml
// defines, with the default props.
std::vector<PlotSpec> PlotSpecsForPath(const std::string& path, const PlotSource& source);

// What the command line overrides for every plot shown (`plots show -t
// scatter -x epoch -y loss --title ...`); unset fields keep the definition's.
struct PlotOverrides {
  std::optional<PlotTemplate> tmpl;
  std::optional<std::string> x;  // a field of each y's own file
  std::optional<std::string> y;  // the field read from each of the plot's files
  std::optional<std::string> title;
  std::optional<std::string> x_label;
  std::optional<std::string> y_label;
  bool no_header = false;
};
void ApplyOverrides(const PlotOverrides& overrides, PlotSpec* spec);

// The plots `targets` select: a target equal to a plot's id, or to one of its
// files, or a directory holding them selects it; a target that selects
// nothing but names a file (or directory) the source can read becomes a plot
// with default props. Targets are project-relative (or plot ids). No targets
// select every plot. Unknown targets are kNotFound, naming the nearest id.
Result<std::vector<PlotSpec>> SelectPlots(const std::vector<PlotSpec>& plots,
                                          const std::vector<std::string>& targets,
                                          const PlotSource& source);

}  // namespace conveyor
