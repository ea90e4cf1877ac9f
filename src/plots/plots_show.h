// `plots show` (and, given several sources, `plots diff`): collect the plot
// definitions, read each plot's files from every source (revision), draw the
// figures to PNG and SVG, copy image plots, and write index.html — all into
// one output directory.
//
// Failures are per plot: a missing or malformed data file, an unknown field,
// a bad definition is recorded on that plot (and shown in index.html) and the
// other plots are still rendered. Each file is written atomically (a reader
// never sees half a PNG); index.html is written last.
//
// Thread safety: ShowPlots is a free function; concurrent calls must use
// different output directories.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/workspace.h"
#include "plots/plot_render.h"
#include "plots/plot_source.h"
#include "plots/plot_spec.h"
#include "plots/plots_html.h"

namespace conveyor {

struct PlotsShowOptions {
  // Project-relative paths or plot ids (see SelectPlots); empty: every plot.
  std::vector<std::string> targets;
  PlotOverrides overrides;
  // Created when missing. Default "dvc_plots", as DVC's.
  std::filesystem::path out_dir = "dvc_plots";
  RenderOptions render;
};

struct PlotOutput {
  std::string id;
  std::string title;
  bool image = false;
  // A chart's files, relative to out_dir; empty when it failed.
  std::string png;
  std::string svg;
  // An image plot's copies, one per revision that has the file.
  std::vector<HtmlPlot::Image> images;
  std::string error;  // why this plot failed; empty when it was written
};

struct PlotsShowResult {
  std::vector<PlotOutput> plots;  // in definition order
  // Definitions that could not be read (dvc.yaml errors), not tied to a plot.
  std::vector<std::string> errors;
  std::string index = "index.html";  // relative to out_dir

  // Failed plots plus definition errors; the command exits 1 when non-zero.
  size_t failed() const;
};

// Renders every selected plot of `workspace` from `sources` (one per revision,
// in legend order; `plots show` passes the workspace alone) into
// `options.out_dir`. Errors only when nothing can be done: an unknown target
// (kNotFound), no sources (kInternal), an output directory that cannot be
// created or written (kIo).
Result<PlotsShowResult> ShowPlots(const Workspace& workspace,
                                  const std::vector<PlotSource>& sources,
                                  const PlotsShowOptions& options);

// The file name a plot id gets in the output directory: '/' and anything but
// letters, digits, '.', '-' and '_' become '_' ("plots/loss.csv" ->
// "plots_loss.csv").
std::string SafePlotFileName(std::string_view id);

// What `plots show --json` prints: {"index": ..., "plots": {id: {...}},
// "errors": [...]}, with paths as `out_dir` joins them.
nlohmann::ordered_json PlotsShowJson(const PlotsShowResult& result,
                                     const std::filesystem::path& out_dir);

}  // namespace conveyor
