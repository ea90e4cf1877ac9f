// The built-in plot templates, named as DVC names them (`dvc plots
// templates`). conveyor draws them natively instead of filling Vega-Lite
// specs; custom (.dvc/plots/*.json) templates are not supported.
//
// Thread safety: pure functions over constants.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor {

enum class PlotTemplate {
  kLinear,               // lines with points; the default
  kSimple,               // lines only
  kScatter,              // points only
  kSmooth,               // a faint line plus its LOESS-smoothed curve
  kBarHorizontal,        // x is the bar length, y the category
  kBarHorizontalSorted,  // the same, longest bar first
  kConfusion,            // counts of (x = predicted, y = actual) pairs
  kConfusionNormalized,  // the same, each actual row summing to 1
};

// Every template name, in the order above.
const std::vector<std::string>& PlotTemplateNames();
std::string_view PlotTemplateName(PlotTemplate tmpl);
// "linear" -> kLinear. An unknown name is kInvalid, naming the valid ones
// and the nearest ("unknown plot template 'confuson' (did you mean
// 'confusion'?); known: linear, simple, ...").
Result<PlotTemplate> ParsePlotTemplate(std::string_view name);

bool IsConfusion(PlotTemplate tmpl);
bool IsBar(PlotTemplate tmpl);

}  // namespace conveyor
