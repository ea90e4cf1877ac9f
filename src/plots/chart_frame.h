// The parts every chart shares: fonts, the title, the legend, numeric axes
// with grid lines, and category labels that rotate or thin out when they do
// not fit. Used by the chart_*.cc drawing code.
//
// Thread safety: free functions drawing on the Canvas they are given.
#pragma once

#include <string>
#include <vector>

#include "plots/axes.h"
#include "plots/canvas.h"
#include "plots/figure.h"

namespace conveyor::chart {

inline constexpr Font kTitleFont{15, true};
inline constexpr Font kAxisTitleFont{13, false};
inline constexpr Font kTickFont{12, false};
inline constexpr Font kLegendFont{12, false};
inline constexpr double kMargin = 14;     // around the whole figure
inline constexpr double kTickLength = 5;  // tick marks outside the plot area
inline constexpr double kGap = 6;         // between a label and what it labels

// Draws `title` centred across [0, width) with its top at `top`; returns the
// y below it (`top` when the title is empty).
double DrawTitle(Canvas& canvas, const std::string& title, double width, double top);

enum class LegendMark { kLine, kSquare, kDot };

// A legend: one entry per label, in centred rows no wider than `width`.
struct Legend {
  struct Entry {
    std::string label;
    double x = 0;  // relative to the row start
    size_t row = 0;
  };
  std::vector<Entry> entries;
  std::vector<double> row_widths;
  double row_height = 0;
  double height() const { return row_height * static_cast<double>(row_widths.size()); }
};
Legend LayoutLegend(Canvas& canvas, const std::vector<std::string>& labels, double width);
// Draws entry i in SeriesColor(i), rows centred across [0, width).
void DrawLegend(Canvas& canvas, const Legend& legend, double width, double top, LegendMark mark);

// The figure's title and, for several series, its legend (one entry per
// series label, drawn with `mark`); returns the y where the plot area may
// start.
double DrawChartHeader(Canvas& canvas, const Figure& figure, double width, LegendMark mark);

// A numeric scale from data to pixels.
struct Scale {
  Ticks ticks;
  double px_lo = 0;  // pixel of ticks.lo
  double px_hi = 1;  // pixel of ticks.hi
  double Map(double value) const;
};

// The width of the widest tick label.
double TickLabelWidth(Canvas& canvas, const Ticks& ticks);
// Ticks for a horizontal axis `width` pixels long whose labels do not
// overlap. With `integers` (every value is a whole number: steps, counts)
// the step is at least 1.
Ticks FitHorizontalTicks(Canvas& canvas, double lo, double hi, double width, bool integers = false);
// Ticks for a vertical axis `height` pixels long (about one per 40 px).
Ticks FitVerticalTicks(double lo, double hi, double height, bool integers = false);

// Grid lines across `plot` and labelled ticks on its left (vertical) or
// bottom (horizontal) edge.
void DrawVerticalAxis(Canvas& canvas, const Rect& plot, const Scale& scale, bool grid = true);
void DrawHorizontalAxis(Canvas& canvas, const Rect& plot, const Scale& scale, bool grid = true);

// How category labels under a horizontal axis are shown: level, or rotated
// 45 degrees when they would overlap, and only every `every`-th one when
// even rotated they would collide. Labels wider than `max_label_width` lose
// their middle ("a_rather_l…name_12"), where similar names differ least.
struct CategoryLabels {
  bool rotated = false;
  size_t every = 1;
  double height = 0;      // the vertical space they take below the axis line
  double reach_left = 0;  // how far rotated labels reach left of their tick
};
CategoryLabels LayoutCategoryLabels(Canvas& canvas, const std::vector<std::string>& labels,
                                    double spacing, double max_label_width);
// Draws label i centred under x = centers[i].
void DrawCategoryLabels(Canvas& canvas, const std::vector<std::string>& labels,
                        const std::vector<double>& centers, double top, const CategoryLabels& how,
                        double max_label_width);

// Axis titles: centred under the plot, and rotated along its left side with
// the text's top at `left`.
void DrawXTitle(Canvas& canvas, const std::string& title, const Rect& plot, double top);
void DrawYTitle(Canvas& canvas, const std::string& title, const Rect& plot, double left);

}  // namespace conveyor::chart
