// Figures drawn to PNG and SVG with cairo. The same drawing code produces
// both; text is DejaVu Sans. Line-type charts take the requested size; bar
// charts grow with their categories and confusion matrices with their
// classes (FigureSize says what a figure will get).
//
// Thread safety: free functions; each call uses its own cairo surface.
#pragma once

#include <string>

#include "common/status.h"
#include "plots/figure.h"

namespace conveyor {

struct RenderOptions {
  int width = 640;   // pixels at 1x, for line-type charts and bar widths
  int height = 420;  // pixels at 1x, for line-type charts
  // PNG pixels per layout pixel (2 for high-density screens). The SVG is
  // always at 1x.
  double scale = 1;
};

struct FigureSize {
  int width = 0;
  int height = 0;
};
FigureSize MeasureFigure(const Figure& figure, const RenderOptions& options = {});

// The PNG file's bytes.
Result<std::string> RenderPng(const Figure& figure, const RenderOptions& options = {});
// The SVG document, with the figure's title in a <title> element (cairo draws
// text as glyph outlines, so this is what makes the title searchable).
Result<std::string> RenderSvg(const Figure& figure, const RenderOptions& options = {});

}  // namespace conveyor
