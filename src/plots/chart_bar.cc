// Horizontal bars: the bar_horizontal and bar_horizontal_sorted templates.
// x is the bar's length, y its category; several series become groups of
// bars per category.
#include <algorithm>
#include <cmath>
#include <map>

#include "plots/chart_frame.h"
#include "plots/charts.h"
#include "plots/palette.h"

namespace conveyor::chart {

namespace {

constexpr Font kValueFont{11, false};
constexpr double kMaxCategoryWidth = 170;

struct BarData {
  std::vector<std::string> categories;
  // values[s][c]: series s's bar for category c; NaN when it has none.
  std::vector<std::vector<double>> values;
  double lo = 0;  // bars start at 0, so 0 is always in range
  double hi = 0;
  bool integers = true;
};

BarData Prepare(const Figure& figure) {
  BarData data;
  std::map<std::string, size_t> index;
  for (const Series& series : figure.series) {
    for (size_t i = 0; i < series.y.size(); ++i) {
      if (!series.y[i].is_missing() && i < series.x.size() && series.x[i].is_number() &&
          index.emplace(series.y[i].text, data.categories.size()).second) {
        data.categories.push_back(series.y[i].text);
      }
    }
  }
  for (const Series& series : figure.series) {
    std::vector<double> row(data.categories.size(), std::nan(""));
    for (size_t i = 0; i < series.y.size() && i < series.x.size(); ++i) {
      if (series.y[i].is_missing() || !series.x[i].is_number())
        continue;
      double value = series.x[i].number;
      row[index[series.y[i].text]] = value;
      data.lo = std::min(data.lo, value);
      data.hi = std::max(data.hi, value);
      if (value != std::round(value))
        data.integers = false;
    }
    data.values.push_back(std::move(row));
  }
  if (figure.tmpl == PlotTemplate::kBarHorizontalSorted && !data.values.empty()) {
    std::vector<size_t> order(data.categories.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    const std::vector<double>& first = data.values.front();
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      double va = std::isnan(first[a]) ? -INFINITY : first[a];
      double vb = std::isnan(first[b]) ? -INFINITY : first[b];
      return va > vb;
    });
    BarData sorted = data;
    for (size_t i = 0; i < order.size(); ++i) {
      sorted.categories[i] = data.categories[order[i]];
      for (size_t s = 0; s < data.values.size(); ++s)
        sorted.values[s][i] = data.values[s][order[i]];
    }
    data = std::move(sorted);
  }
  return data;
}

// The bar's value beyond its end; inside the bar, in white or dark text as
// its colour needs, when a negative bar leaves no room on its left.
void DrawValueLabel(Canvas& canvas, double value, double x0, double x1, double y, const Rect& plot,
                    const Color& bar_color) {
  std::string text = FormatValue(value);
  double width = canvas.TextWidth(text, kValueFont);
  if (value >= 0 || x1 - 4 - width >= plot.x) {
    bool negative = value < 0;
    canvas.Text(text, negative ? x1 - 4 : x1 + 4, y, kValueFont, Rgb(palette::kText),
                negative ? HAlign::kRight : HAlign::kLeft, VAlign::kMiddle);
  } else if (std::fabs(x1 - x0) >= width + 8) {
    canvas.Text(text, x1 + 4, y, kValueFont,
                PrefersLightText(bar_color) ? Rgb(0xffffff) : Rgb(palette::kText), HAlign::kLeft,
                VAlign::kMiddle);
  }
}

double BandHeight(size_t series) { return std::max(24.0, 15.0 * static_cast<double>(series) + 9); }

}  // namespace

Size BarChartSize(Canvas& canvas, const Figure& figure, Size preferred) {
  BarData data = Prepare(figure);
  double header = kMargin + canvas.LineHeight(kTitleFont) + 14;
  if (figure.series.size() > 1)
    header += canvas.LineHeight(kLegendFont) + 12;
  double footer = kMargin + canvas.LineHeight(kAxisTitleFont) + kGap +
                  canvas.LineHeight(kTickFont) + kTickLength + 3;
  double bars = static_cast<double>(std::max<size_t>(1, data.categories.size())) *
                BandHeight(figure.series.size());
  return {preferred.width, std::max(220.0, std::ceil(header + bars + footer))};
}

void DrawBarChart(Canvas& canvas, const Figure& figure, Size size) {
  BarData data = Prepare(figure);
  double top = DrawChartHeader(canvas, figure, size.width, LegendMark::kSquare);
  top += 6;

  double widest_category = 0;
  for (const std::string& category : data.categories) {
    widest_category = std::max(
        widest_category,
        canvas.TextWidth(canvas.FitMiddle(category, kTickFont, kMaxCategoryWidth), kTickFont));
  }
  double widest_value = 0;
  for (const auto& row : data.values) {
    for (double value : row) {
      if (!std::isnan(value))
        widest_value = std::max(widest_value, canvas.TextWidth(FormatValue(value), kValueFont));
    }
  }
  double axis_title = canvas.LineHeight(kAxisTitleFont);
  double left = kMargin + axis_title + kGap + widest_category + kTickLength + 3;
  double right = kMargin + widest_value + 6;
  double bottom = kMargin + axis_title + kGap + canvas.LineHeight(kTickFont) + kTickLength + 3;
  Rect plot{left, top, std::max(40.0, size.width - left - right),
            std::max(20.0, size.height - top - bottom)};

  Ticks ticks = FitHorizontalTicks(canvas, data.lo, data.hi, plot.w, data.integers);
  Scale x_scale{ticks, plot.x, plot.right()};
  DrawHorizontalAxis(canvas, plot, x_scale);

  size_t count = std::max<size_t>(1, data.categories.size());
  double band = plot.h / static_cast<double>(count);
  double group = band * 0.78;
  double bar = group / static_cast<double>(std::max<size_t>(1, data.values.size()));
  Color axis = Rgb(palette::kAxis);
  for (size_t c = 0; c < data.categories.size(); ++c) {
    double center = plot.y + (static_cast<double>(c) + 0.5) * band;
    canvas.Line(plot.x - kTickLength, Crisp(center), plot.x, Crisp(center), axis);
    canvas.Text(canvas.FitMiddle(data.categories[c], kTickFont, kMaxCategoryWidth),
                plot.x - kTickLength - 3, center, kTickFont, Rgb(palette::kMutedText),
                HAlign::kRight, VAlign::kMiddle);
    for (size_t s = 0; s < data.values.size(); ++s) {
      double value = data.values[s][c];
      if (std::isnan(value))
        continue;
      double y = center - group / 2 + static_cast<double>(s) * bar;
      double x0 = x_scale.Map(0);
      double x1 = x_scale.Map(value);
      canvas.FillRect({std::min(x0, x1), y + 0.5, std::fabs(x1 - x0), bar - 1}, SeriesColor(s));
      if (bar >= 11)
        DrawValueLabel(canvas, value, x0, x1, y + bar / 2, plot, SeriesColor(s));
    }
  }
  canvas.Line(Crisp(x_scale.Map(0)), plot.y, Crisp(x_scale.Map(0)), plot.bottom(), axis);

  DrawXTitle(canvas, figure.x_label, plot,
             plot.bottom() + kTickLength + 3 + canvas.LineHeight(kTickFont) + kGap);
  DrawYTitle(canvas, figure.y_label, plot, kMargin);
}

}  // namespace conveyor::chart
