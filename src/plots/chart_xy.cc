// Line, point and smoothed-line charts: the linear, simple, scatter and
// smooth templates.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "plots/chart_frame.h"
#include "plots/charts.h"
#include "plots/loess.h"
#include "plots/palette.h"

namespace conveyor::chart {

namespace {

// Markers are drawn on lines only while they stay apart.
constexpr size_t kMaxMarkedPoints = 60;

struct XyData {
  bool categorical = false;
  std::vector<std::string> categories;     // x labels, first seen first
  std::vector<std::vector<Point>> series;  // data coordinates; x = category index
  double x_lo = std::numeric_limits<double>::infinity();
  double x_hi = -std::numeric_limits<double>::infinity();
  double y_lo = std::numeric_limits<double>::infinity();
  double y_hi = -std::numeric_limits<double>::infinity();
  bool integer_x = true;
};

XyData Prepare(const Figure& figure) {
  XyData data;
  for (const Series& series : figure.series) {
    for (const PlotValue& x : series.x) {
      if (x.kind == PlotValue::Kind::kText)
        data.categorical = true;
    }
  }
  for (const Series& series : figure.series) {
    std::vector<Point> points;
    for (size_t i = 0; i < series.y.size() && i < series.x.size(); ++i) {
      const PlotValue& x = series.x[i];
      const PlotValue& y = series.y[i];
      if (!y.is_number() || x.is_missing())
        continue;
      double position = x.number;
      if (data.categorical) {
        auto it = std::find(data.categories.begin(), data.categories.end(), x.text);
        position = static_cast<double>(it - data.categories.begin());
        if (it == data.categories.end())
          data.categories.push_back(x.text);
      } else if (position != std::round(position)) {
        data.integer_x = false;
      }
      points.emplace_back(position, y.number);
      data.x_lo = std::min(data.x_lo, position);
      data.x_hi = std::max(data.x_hi, position);
      data.y_lo = std::min(data.y_lo, y.number);
      data.y_hi = std::max(data.y_hi, y.number);
    }
    if (!data.categorical) {  // lines join points in x order, as Vega draws them
      std::stable_sort(points.begin(), points.end(),
                       [](const Point& a, const Point& b) { return a.first < b.first; });
    }
    data.series.push_back(std::move(points));
  }
  if (data.y_lo > data.y_hi) {  // no numeric point at all
    data.x_lo = data.y_lo = 0;
    data.x_hi = data.y_hi = 1;
  }
  return data;
}

LegendMark MarkFor(PlotTemplate tmpl) {
  return tmpl == PlotTemplate::kScatter ? LegendMark::kDot : LegendMark::kLine;
}

void DrawSeries(Canvas& canvas, PlotTemplate tmpl, const std::vector<Point>& pixels,
                const Color& color) {
  switch (tmpl) {
    case PlotTemplate::kScatter:
      for (const Point& p : pixels)
        canvas.Circle(p.first, p.second, 3.5, color, 0.8);
      break;
    case PlotTemplate::kSmooth: {
      canvas.Polyline(pixels, color, 1.5, 0.3);
      std::vector<Point> sorted = pixels;  // categories keep file order
      std::stable_sort(sorted.begin(), sorted.end(),
                       [](const Point& a, const Point& b) { return a.first < b.first; });
      canvas.Polyline(Loess(sorted), color, 2.5);
      break;
    }
    case PlotTemplate::kSimple:
      canvas.Polyline(pixels, color, 2);
      break;
    default:  // linear
      canvas.Polyline(pixels, color, 2);
      if (pixels.size() <= kMaxMarkedPoints || pixels.size() == 1) {
        for (const Point& p : pixels)
          canvas.Circle(p.first, p.second, 3, color);
      }
      break;
  }
}

}  // namespace

Size XyChartSize(const Figure&, Size preferred) { return preferred; }

void DrawXyChart(Canvas& canvas, const Figure& figure, Size size) {
  XyData data = Prepare(figure);
  double top = DrawChartHeader(canvas, figure, size.width, MarkFor(figure.tmpl));
  top += 6;  // room for the top tick label's upper half

  double axis_title = canvas.LineHeight(kAxisTitleFont);
  double tick_line = canvas.LineHeight(kTickFont);
  const double max_category_width = 120;
  CategoryLabels categories;
  double x_labels_height = kTickLength + 3 + tick_line;
  if (data.categorical) {
    double estimated_width = size.width - 2 * kMargin - 80;
    categories = LayoutCategoryLabels(
        canvas, data.categories,
        estimated_width / static_cast<double>(std::max<size_t>(1, data.categories.size())),
        max_category_width);
    x_labels_height = categories.height;
  }
  double bottom = kMargin + axis_title + kGap + x_labels_height;
  double plot_height = std::max(40.0, size.height - top - bottom);
  Ticks y_ticks = FitVerticalTicks(data.y_lo, data.y_hi, plot_height);
  double left = kMargin + axis_title + kGap + TickLabelWidth(canvas, y_ticks) + kTickLength + 3;
  if (data.categorical && categories.rotated) {  // the first label slants left of its tick
    double band = (size.width - left - kMargin) /
                  static_cast<double>(std::max<size_t>(1, data.categories.size()));
    left = std::max(left, kMargin + categories.reach_left - band / 2);
  }
  double right = kMargin + (data.categorical ? 0 : 16);
  Rect plot{left, top, std::max(40.0, size.width - left - right), plot_height};

  Scale y_scale{y_ticks, plot.bottom(), plot.y};
  DrawVerticalAxis(canvas, plot, y_scale);
  // Data x to pixels.
  std::function<double(double)> map_x;
  if (data.categorical) {
    double band = plot.w / static_cast<double>(std::max<size_t>(1, data.categories.size()));
    map_x = [&plot, band](double index) { return plot.x + (index + 0.5) * band; };
    std::vector<double> centers;
    for (size_t i = 0; i < data.categories.size(); ++i)
      centers.push_back(map_x(static_cast<double>(i)));
    canvas.Line(plot.x, Crisp(plot.bottom()), plot.right(), Crisp(plot.bottom()),
                Rgb(palette::kAxis));
    DrawCategoryLabels(canvas, data.categories, centers, plot.bottom(), categories,
                       max_category_width);
  } else {
    Ticks x_ticks = FitHorizontalTicks(canvas, data.x_lo, data.x_hi, plot.w, data.integer_x);
    Scale x_scale{x_ticks, plot.x, plot.right()};
    DrawHorizontalAxis(canvas, plot, x_scale);
    map_x = [x_scale](double x) { return x_scale.Map(x); };
  }

  canvas.PushClip({plot.x - 4, plot.y - 4, plot.w + 8, plot.h + 8});
  for (size_t s = 0; s < data.series.size(); ++s) {
    std::vector<Point> pixels;
    for (const Point& p : data.series[s])
      pixels.emplace_back(map_x(p.first), y_scale.Map(p.second));
    DrawSeries(canvas, figure.tmpl, pixels, SeriesColor(s));
  }
  canvas.PopClip();

  DrawXTitle(canvas, figure.x_label, plot, plot.bottom() + x_labels_height + kGap);
  // Beside the tick labels, however far rotated category labels pushed the plot right.
  DrawYTitle(canvas, figure.y_label, plot,
             plot.x - kTickLength - 3 - TickLabelWidth(canvas, y_ticks) - kGap - axis_title);
}

}  // namespace conveyor::chart
