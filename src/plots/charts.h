// The chart kinds the templates map to. Each measures the size it wants for
// a figure and draws it on a Canvas of that size.
//
// Thread safety: free functions drawing on the Canvas they are given.
#pragma once

#include "plots/canvas.h"
#include "plots/figure.h"

namespace conveyor::chart {

struct Size {
  double width = 640;
  double height = 420;
};

// Lines, points and smoothed lines (linear, simple, scatter, smooth) at
// `preferred` size.
Size XyChartSize(const Figure& figure, Size preferred);
void DrawXyChart(Canvas& canvas, const Figure& figure, Size size);

// Horizontal bars: as wide as `preferred`, as tall as the categories need.
Size BarChartSize(Canvas& canvas, const Figure& figure, Size preferred);
void DrawBarChart(Canvas& canvas, const Figure& figure, Size size);

// Confusion matrices, one panel per series, sized by the number of classes.
Size ConfusionSize(Canvas& canvas, const Figure& figure, Size preferred);
void DrawConfusion(Canvas& canvas, const Figure& figure, Size size);

}  // namespace conveyor::chart
