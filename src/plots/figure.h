// What the renderer draws: one figure, several labelled series. A series is
// one (revision, file, field) combination, so `plots diff A B` overlays
// revisions by handing in one series per revision.
//
// Thread safety: plain values.
#pragma once

#include <string>
#include <vector>

#include "plots/plot_data.h"
#include "plots/plot_template.h"

namespace conveyor {

struct Series {
  std::string label;  // the legend entry: "loss", "HEAD", "main: val/loss"
  // Parallel lists, one entry per data point. For line, scatter and smooth
  // templates x may be numbers or categories, y points that are not numbers
  // are skipped. For bars x is the length and y the category; for confusion
  // x is the predicted and y the actual class.
  std::vector<PlotValue> x;
  std::vector<PlotValue> y;
};

struct Figure {
  PlotTemplate tmpl = PlotTemplate::kLinear;
  std::string title;    // drawn above the plot; may be empty
  std::string x_label;  // axis titles; may be empty
  std::string y_label;
  std::vector<Series> series;  // a legend is drawn when there are several
};

}  // namespace conveyor
