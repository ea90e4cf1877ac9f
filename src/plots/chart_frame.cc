#include "plots/chart_frame.h"

#include <algorithm>
#include <cmath>

#include "plots/palette.h"

namespace conveyor::chart {

namespace {

constexpr double kSwatchWidth = 18;
constexpr double kEntryGap = 18;
constexpr double kMinLabelGap = 10;  // between neighbouring tick labels

// At most one tick per whole number for integer data.
int CapForIntegers(int max_ticks, double lo, double hi, bool integers) {
  if (!integers || !(hi - lo < 1e6))
    return max_ticks;
  return std::max(2, std::min(max_ticks, static_cast<int>(std::fabs(hi - lo)) + 1));
}

}  // namespace

double DrawTitle(Canvas& canvas, const std::string& title, double width, double top) {
  if (title.empty())
    return top;
  std::string fitted = canvas.Fit(title, kTitleFont, width - 2 * kMargin);
  canvas.Text(fitted, width / 2, top, kTitleFont, Rgb(palette::kText), HAlign::kCenter,
              VAlign::kTop);
  return top + canvas.LineHeight(kTitleFont);
}

Legend LayoutLegend(Canvas& canvas, const std::vector<std::string>& labels, double width) {
  Legend legend;
  legend.row_height = canvas.LineHeight(kLegendFont) + 6;
  double max_entry = std::max(60.0, width - 2 * kMargin);
  double x = 0;
  for (const std::string& label : labels) {
    std::string fitted = canvas.Fit(label, kLegendFont, max_entry - kSwatchWidth - kGap);
    double entry_width = kSwatchWidth + kGap + canvas.TextWidth(fitted, kLegendFont);
    if (legend.row_widths.empty() || (x > 0 && x + kEntryGap + entry_width > max_entry)) {
      legend.row_widths.push_back(0);
      x = 0;
    } else if (x > 0) {
      x += kEntryGap;
    }
    legend.entries.push_back({fitted, x, legend.row_widths.size() - 1});
    x += entry_width;
    legend.row_widths.back() = x;
  }
  return legend;
}

void DrawLegend(Canvas& canvas, const Legend& legend, double width, double top, LegendMark mark) {
  for (size_t i = 0; i < legend.entries.size(); ++i) {
    const Legend::Entry& entry = legend.entries[i];
    double left = (width - legend.row_widths[entry.row]) / 2 + entry.x;
    double middle = top + legend.row_height * (static_cast<double>(entry.row) + 0.5);
    Color color = SeriesColor(i);
    switch (mark) {
      case LegendMark::kLine:
        canvas.Line(left, middle, left + kSwatchWidth, middle, color, 2.5);
        break;
      case LegendMark::kSquare:
        canvas.FillRect({left + 3, middle - 6, 12, 12}, color);
        break;
      case LegendMark::kDot:
        canvas.Circle(left + kSwatchWidth / 2, middle, 4, color);
        break;
    }
    canvas.Text(entry.label, left + kSwatchWidth + kGap, middle, kLegendFont, Rgb(palette::kText),
                HAlign::kLeft, VAlign::kMiddle);
  }
}

double Scale::Map(double value) const {
  double span = ticks.hi - ticks.lo;
  if (span == 0)
    return (px_lo + px_hi) / 2;
  return px_lo + (value - ticks.lo) / span * (px_hi - px_lo);
}

double TickLabelWidth(Canvas& canvas, const Ticks& ticks) {
  double widest = 0;
  for (const std::string& label : FormatTicks(ticks))
    widest = std::max(widest, canvas.TextWidth(label, kTickFont));
  return widest;
}

Ticks FitHorizontalTicks(Canvas& canvas, double lo, double hi, double width, bool integers) {
  int max_ticks = CapForIntegers(std::max(2, static_cast<int>(width / 60)), lo, hi, integers);
  for (;; --max_ticks) {
    Ticks ticks = NiceTicks(lo, hi, max_ticks);
    double spacing = width / std::max<double>(1, static_cast<double>(ticks.values.size()) - 1);
    if (max_ticks <= 2 || TickLabelWidth(canvas, ticks) + kMinLabelGap <= spacing)
      return ticks;
  }
}

Ticks FitVerticalTicks(double lo, double hi, double height, bool integers) {
  return NiceTicks(
      lo, hi, CapForIntegers(std::max(2, static_cast<int>(height / 40) + 1), lo, hi, integers));
}

void DrawVerticalAxis(Canvas& canvas, const Rect& plot, const Scale& scale, bool grid) {
  Color axis = Rgb(palette::kAxis);
  std::vector<std::string> labels = FormatTicks(scale.ticks);
  for (size_t i = 0; i < labels.size(); ++i) {
    double y = Crisp(scale.Map(scale.ticks.values[i]));
    if (grid)
      canvas.Line(plot.x, y, plot.right(), y, Rgb(palette::kGrid));
    canvas.Line(plot.x - kTickLength, y, plot.x, y, axis);
    canvas.Text(labels[i], plot.x - kTickLength - 3, y, kTickFont, Rgb(palette::kMutedText),
                HAlign::kRight, VAlign::kMiddle);
  }
  double x = Crisp(plot.x);
  canvas.Line(x, plot.y, x, plot.bottom(), axis);
}

void DrawHorizontalAxis(Canvas& canvas, const Rect& plot, const Scale& scale, bool grid) {
  Color axis = Rgb(palette::kAxis);
  std::vector<std::string> labels = FormatTicks(scale.ticks);
  for (size_t i = 0; i < labels.size(); ++i) {
    double x = Crisp(scale.Map(scale.ticks.values[i]));
    if (grid)
      canvas.Line(x, plot.y, x, plot.bottom(), Rgb(palette::kGrid));
    canvas.Line(x, plot.bottom(), x, plot.bottom() + kTickLength, axis);
    canvas.Text(labels[i], x, plot.bottom() + kTickLength + 3, kTickFont, Rgb(palette::kMutedText),
                HAlign::kCenter, VAlign::kTop);
  }
  double y = Crisp(plot.bottom());
  canvas.Line(plot.x, y, plot.right(), y, axis);
}

CategoryLabels LayoutCategoryLabels(Canvas& canvas, const std::vector<std::string>& labels,
                                    double spacing, double max_label_width) {
  CategoryLabels how;
  double line = canvas.LineHeight(kTickFont);
  double widest = 0;
  for (const std::string& label : labels) {
    widest = std::max(
        widest, canvas.TextWidth(canvas.FitMiddle(label, kTickFont, max_label_width), kTickFont));
  }
  if (widest + kMinLabelGap <= spacing || labels.size() <= 1) {
    how.height = kTickLength + 3 + line;
    return how;
  }
  how.rotated = true;
  // Rotated 45 degrees, neighbours are `spacing` apart horizontally, which is
  // spacing / sqrt(2) measured across the text.
  double across = spacing / std::sqrt(2.0);
  how.every = static_cast<size_t>(std::ceil((line + 2) / std::max(across, 1.0)));
  how.every = std::max<size_t>(how.every, 1);
  how.height = kTickLength + 3 + (widest + line) / std::sqrt(2.0);
  how.reach_left = (widest + line) / std::sqrt(2.0);
  return how;
}

void DrawCategoryLabels(Canvas& canvas, const std::vector<std::string>& labels,
                        const std::vector<double>& centers, double top, const CategoryLabels& how,
                        double max_label_width) {
  Color color = Rgb(palette::kMutedText);
  Color axis = Rgb(palette::kAxis);
  for (size_t i = 0; i < labels.size(); ++i) {
    double x = Crisp(centers[i]);
    if (i % how.every != 0)
      continue;
    canvas.Line(x, top, x, top + kTickLength, axis);
    std::string text = canvas.FitMiddle(labels[i], kTickFont, max_label_width);
    if (how.rotated) {
      canvas.Text(text, x + 3, top + kTickLength + 2, kTickFont, color, HAlign::kRight,
                  VAlign::kTop, 45);
    } else {
      canvas.Text(text, x, top + kTickLength + 3, kTickFont, color, HAlign::kCenter, VAlign::kTop);
    }
  }
}

void DrawXTitle(Canvas& canvas, const std::string& title, const Rect& plot, double top) {
  std::string fitted = canvas.Fit(title, kAxisTitleFont, plot.w);
  canvas.Text(fitted, plot.x + plot.w / 2, top, kAxisTitleFont, Rgb(palette::kText),
              HAlign::kCenter, VAlign::kTop);
}

void DrawYTitle(Canvas& canvas, const std::string& title, const Rect& plot, double left) {
  std::string fitted = canvas.Fit(title, kAxisTitleFont, plot.h);
  canvas.Text(fitted, left, plot.y + plot.h / 2, kAxisTitleFont, Rgb(palette::kText),
              HAlign::kCenter, VAlign::kTop, 90);
}

double DrawChartHeader(Canvas& canvas, const Figure& figure, double width, LegendMark mark) {
  double top = DrawTitle(canvas, figure.title, width, kMargin);
  top += figure.title.empty() ? 0 : 8;
  if (figure.series.size() > 1) {
    std::vector<std::string> labels;
    for (const Series& series : figure.series)
      labels.push_back(series.label);
    Legend legend = LayoutLegend(canvas, labels, width);
    DrawLegend(canvas, legend, width, top, mark);
    top += legend.height() + 6;
  }
  return top;
}

}  // namespace conveyor::chart
