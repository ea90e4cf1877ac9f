// A thin drawing surface over a cairo context: text in DejaVu Sans (cairo's
// toy font API), lines, polylines, rectangles, circles. The same calls draw
// the PNG and the SVG of a chart; only plot_render.cc creates surfaces.
//
// Thread safety: a Canvas is used by one thread at a time.
#pragma once

#include <cairo.h>

#include <string>
#include <string_view>
#include <vector>

#include "plots/loess.h"
#include "plots/palette.h"

namespace conveyor {

struct Font {
  double size = 12;  // pixels at 1x
  bool bold = false;
};

enum class HAlign { kLeft, kCenter, kRight };
enum class VAlign { kTop, kMiddle, kBaseline, kBottom };

struct Rect {
  double x = 0;
  double y = 0;
  double w = 0;
  double h = 0;
  double right() const { return x + w; }
  double bottom() const { return y + h; }
};

class Canvas {
 public:
  // `cr` is borrowed and must outlive the Canvas.
  explicit Canvas(cairo_t* cr);

  double TextWidth(std::string_view text, Font font);
  // Ascent plus descent of the font: the height one line of text takes.
  double LineHeight(Font font);
  // `text` cut (at a character boundary) and ended with "…" so it is at most
  // `max_width` wide; unchanged when it fits.
  std::string Fit(std::string_view text, Font font, double max_width);
  // The same, but keeping the start and the end: "a_rather_l…name_12".
  std::string FitMiddle(std::string_view text, Font font, double max_width);

  // Draws `text` anchored at (x, y) by `h` and `v`, rotated by
  // `angle_degrees` counter-clockwise about the anchor.
  void Text(std::string_view text, double x, double y, Font font, const Color& color,
            HAlign h = HAlign::kLeft, VAlign v = VAlign::kBaseline, double angle_degrees = 0);

  void Line(double x1, double y1, double x2, double y2, const Color& color, double width = 1);
  void Polyline(const std::vector<Point>& points, const Color& color, double width,
                double alpha = 1);
  void FillRect(const Rect& rect, const Color& color, double alpha = 1);
  void StrokeRect(const Rect& rect, const Color& color, double width = 1);
  void Circle(double x, double y, double radius, const Color& fill, double alpha = 1);

  // Restricts drawing to `rect` until PopClip.
  void PushClip(const Rect& rect);
  void PopClip();

 private:
  void SetFont(Font font);
  void SetColor(const Color& color, double alpha = 1);

  cairo_t* cr_;
};

// A pixel-aligned coordinate for a 1-pixel line: n + 0.5.
double Crisp(double coordinate);

}  // namespace conveyor
