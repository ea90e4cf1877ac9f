#include "plots/canvas.h"

#include <cairo.h>

#include <cmath>

namespace conveyor {

namespace {

constexpr char kFontFamily[] = "DejaVu Sans";
constexpr char kEllipsis[] = "\xe2\x80\xa6";  // U+2026

// The length of the longest prefix of `text` that ends on a UTF-8 character
// boundary and is at most `limit` bytes.
size_t Utf8Prefix(std::string_view text, size_t limit) {
  if (limit >= text.size())
    return text.size();
  while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xc0) == 0x80)
    --limit;
  return limit;
}

}  // namespace

Canvas::Canvas(cairo_t* cr) : cr_(cr) {
  // Unhinted metrics keep layout identical in the PNG and the SVG.
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_SLIGHT);
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  cairo_set_font_options(cr_, options);
  cairo_font_options_destroy(options);
}

void Canvas::SetFont(Font font) {
  cairo_select_font_face(cr_, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, font.size);
}

void Canvas::SetColor(const Color& color, double alpha) {
  cairo_set_source_rgba(cr_, color.r, color.g, color.b, alpha);
}

double Canvas::TextWidth(std::string_view text, Font font) {
  SetFont(font);
  std::string owned(text);
  cairo_text_extents_t extents;
  cairo_text_extents(cr_, owned.c_str(), &extents);
  return extents.x_advance;
}

double Canvas::LineHeight(Font font) {
  SetFont(font);
  cairo_font_extents_t extents;
  cairo_font_extents(cr_, &extents);
  return extents.ascent + extents.descent;
}

std::string Canvas::Fit(std::string_view text, Font font, double max_width) {
  if (TextWidth(text, font) <= max_width)
    return std::string(text);
  size_t lo = 0;
  size_t hi = text.size();
  while (lo < hi) {  // the longest prefix that fits with the ellipsis
    size_t mid = Utf8Prefix(text, (lo + hi + 1) / 2);
    if (mid <= lo) {
      hi = lo;
      break;
    }
    if (TextWidth(std::string(text.substr(0, mid)) + kEllipsis, font) <= max_width)
      lo = mid;
    else
      hi = mid - 1;
  }
  return std::string(text.substr(0, Utf8Prefix(text, lo))) + kEllipsis;
}

std::string Canvas::FitMiddle(std::string_view text, Font font, double max_width) {
  if (TextWidth(text, font) <= max_width)
    return std::string(text);
  // Drop characters from the middle until it fits, keeping the halves even.
  size_t keep = text.size();
  while (keep > 0) {
    --keep;
    size_t head = Utf8Prefix(text, (keep + 1) / 2);
    size_t tail_start = text.size() - keep / 2;
    while (tail_start < text.size() &&
           (static_cast<unsigned char>(text[tail_start]) & 0xc0) == 0x80)
      ++tail_start;
    std::string candidate =
        std::string(text.substr(0, head)) + kEllipsis + std::string(text.substr(tail_start));
    if (TextWidth(candidate, font) <= max_width || keep == 0)
      return candidate;
  }
  return kEllipsis;
}

void Canvas::Text(std::string_view text, double x, double y, Font font, const Color& color,
                  HAlign h, VAlign v, double angle_degrees) {
  if (text.empty())
    return;
  SetFont(font);
  std::string owned(text);
  cairo_text_extents_t text_extents;
  cairo_text_extents(cr_, owned.c_str(), &text_extents);
  cairo_font_extents_t font_extents;
  cairo_font_extents(cr_, &font_extents);
  double dx = h == HAlign::kLeft     ? 0
              : h == HAlign::kCenter ? -text_extents.x_advance / 2
                                     : -text_extents.x_advance;
  // Vertical placement from the font's extents, so labels of one row share
  // a baseline whatever their letters.
  double dy = 0;
  switch (v) {
    case VAlign::kTop:
      dy = font_extents.ascent;
      break;
    case VAlign::kMiddle:
      dy = (font_extents.ascent - font_extents.descent) / 2;
      break;
    case VAlign::kBaseline:
      break;
    case VAlign::kBottom:
      dy = -font_extents.descent;
      break;
  }
  cairo_save(cr_);
  cairo_translate(cr_, x, y);
  if (angle_degrees != 0)
    cairo_rotate(cr_, -angle_degrees * M_PI / 180);
  cairo_move_to(cr_, dx, dy);
  SetColor(color);
  cairo_show_text(cr_, owned.c_str());
  cairo_restore(cr_);
}

void Canvas::Line(double x1, double y1, double x2, double y2, const Color& color, double width) {
  SetColor(color);
  cairo_set_line_width(cr_, width);
  cairo_set_line_cap(cr_, CAIRO_LINE_CAP_BUTT);
  cairo_move_to(cr_, x1, y1);
  cairo_line_to(cr_, x2, y2);
  cairo_stroke(cr_);
}

void Canvas::Polyline(const std::vector<Point>& points, const Color& color, double width,
                      double alpha) {
  if (points.size() < 2)
    return;
  SetColor(color, alpha);
  cairo_set_line_width(cr_, width);
  cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr_, CAIRO_LINE_CAP_ROUND);
  cairo_move_to(cr_, points.front().first, points.front().second);
  for (size_t i = 1; i < points.size(); ++i)
    cairo_line_to(cr_, points[i].first, points[i].second);
  cairo_stroke(cr_);
}

void Canvas::FillRect(const Rect& rect, const Color& color, double alpha) {
  SetColor(color, alpha);
  cairo_rectangle(cr_, rect.x, rect.y, rect.w, rect.h);
  cairo_fill(cr_);
}

void Canvas::StrokeRect(const Rect& rect, const Color& color, double width) {
  SetColor(color);
  cairo_set_line_width(cr_, width);
  cairo_rectangle(cr_, rect.x, rect.y, rect.w, rect.h);
  cairo_stroke(cr_);
}

void Canvas::Circle(double x, double y, double radius, const Color& fill, double alpha) {
  SetColor(fill, alpha);
  cairo_new_sub_path(cr_);
  cairo_arc(cr_, x, y, radius, 0, 2 * M_PI);
  cairo_fill(cr_);
}

void Canvas::PushClip(const Rect& rect) {
  cairo_save(cr_);
  cairo_rectangle(cr_, rect.x, rect.y, rect.w, rect.h);
  cairo_clip(cr_);
}

void Canvas::PopClip() { cairo_restore(cr_); }

double Crisp(double coordinate) { return std::floor(coordinate) + 0.5; }

}  // namespace conveyor
