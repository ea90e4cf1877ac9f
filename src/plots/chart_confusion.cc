// Confusion matrices: the confusion and confusion_normalized templates. Each
// series (revision) is a panel: a grid of cells for (actual row, predicted
// column) pairs, coloured by count — as a fraction of the largest count, or
// of the row's total when normalised — with the number in the cell.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "plots/axes.h"
#include "plots/chart_frame.h"
#include "plots/charts.h"
#include "plots/palette.h"

namespace conveyor::chart {

namespace {

constexpr Font kCellFont{12, false};
constexpr Font kCaptionFont{13, true};
constexpr double kMaxClassLabelWidth = 120;
constexpr double kPanelGap = 24;
constexpr double kColorBarWidth = 14;

struct ConfusionData {
  std::vector<std::string> classes;
  // cells[s][actual][predicted]: counts, or row fractions when normalised.
  std::vector<std::vector<std::vector<double>>> cells;
  double max = 0;  // the largest cell over all panels (1 when normalised)
  bool normalized = false;
};

bool AllNumbers(const std::vector<std::string>& labels) {
  return std::all_of(labels.begin(), labels.end(), [](const std::string& label) {
    char* end = nullptr;
    std::strtod(label.c_str(), &end);
    return !label.empty() && end == label.c_str() + label.size();
  });
}

ConfusionData Prepare(const Figure& figure) {
  ConfusionData data;
  data.normalized = figure.tmpl == PlotTemplate::kConfusionNormalized;
  for (const Series& series : figure.series) {
    for (const auto* values : {&series.x, &series.y}) {
      for (const PlotValue& value : *values) {
        if (!value.is_missing() &&
            std::find(data.classes.begin(), data.classes.end(), value.text) == data.classes.end()) {
          data.classes.push_back(value.text);
        }
      }
    }
  }
  if (AllNumbers(data.classes)) {
    std::stable_sort(data.classes.begin(), data.classes.end(),
                     [](const std::string& a, const std::string& b) {
                       return std::strtod(a.c_str(), nullptr) < std::strtod(b.c_str(), nullptr);
                     });
  } else {
    std::sort(data.classes.begin(), data.classes.end());
  }
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < data.classes.size(); ++i)
    index[data.classes[i]] = i;
  size_t n = data.classes.size();
  for (const Series& series : figure.series) {
    std::vector<std::vector<double>> grid(n, std::vector<double>(n, 0));
    for (size_t i = 0; i < series.x.size() && i < series.y.size(); ++i) {
      if (series.x[i].is_missing() || series.y[i].is_missing())
        continue;
      grid[index[series.y[i].text]][index[series.x[i].text]] += 1;
    }
    if (data.normalized) {
      for (auto& row : grid) {
        double total = 0;
        for (double count : row)
          total += count;
        for (double& count : row)
          count = total > 0 ? count / total : 0;
      }
    }
    for (const auto& row : grid) {
      for (double value : row)
        data.max = std::max(data.max, value);
    }
    data.cells.push_back(std::move(grid));
  }
  if (data.normalized)
    data.max = 1;
  return data;
}

std::string CellText(double value, bool normalized) {
  return normalized ? fmt::format("{:.2f}", value) : FormatValue(value);
}

struct Layout {
  Size size;
  double cell = 30;
  bool numbers = true;   // cell values fit in the cells
  double grid_left = 0;  // x of the first panel's grid
  double grid_top = 0;
  double title_bottom = 0;  // where panel captions go
  CategoryLabels x_labels;
  std::vector<double> bar_ticks;  // colour-bar labels
  double bar_x = 0;
};

Layout ComputeLayout(Canvas& canvas, const Figure& figure, const ConfusionData& data) {
  Layout layout;
  size_t n = std::max<size_t>(1, data.classes.size());
  size_t panels = std::max<size_t>(1, data.cells.size());
  layout.cell = std::clamp(std::floor(440.0 / static_cast<double>(n)), 22.0, 60.0);
  double widest_number = 0;
  for (const auto& grid : data.cells) {
    for (const auto& row : grid) {
      for (double value : row)
        widest_number =
            std::max(widest_number, canvas.TextWidth(CellText(value, data.normalized), kCellFont));
    }
  }
  if (widest_number + 6 > layout.cell)  // widen cells a little before giving up the numbers
    layout.cell = std::min(std::max(layout.cell, std::ceil(widest_number + 8)), 56.0);
  layout.numbers = widest_number + 4 <= layout.cell;

  double widest_class = 0;
  for (const std::string& label : data.classes) {
    widest_class = std::max(
        widest_class,
        canvas.TextWidth(canvas.FitMiddle(label, kTickFont, kMaxClassLabelWidth), kTickFont));
  }
  double axis_title = canvas.LineHeight(kAxisTitleFont);
  layout.title_bottom = kMargin + (figure.title.empty() ? 0 : canvas.LineHeight(kTitleFont) + 10);
  // Whole pixels, so neighbouring cells meet without an anti-aliased seam.
  layout.grid_top =
      std::round(layout.title_bottom + (panels > 1 ? canvas.LineHeight(kCaptionFont) + 8 : 4));
  layout.grid_left = std::round(kMargin + axis_title + kGap + widest_class + kTickLength + 3);
  layout.x_labels = LayoutCategoryLabels(canvas, data.classes, layout.cell, kMaxClassLabelWidth);

  double grid = layout.cell * static_cast<double>(n);
  double panels_width =
      grid * static_cast<double>(panels) + kPanelGap * static_cast<double>(panels - 1);
  layout.bar_x = layout.grid_left + panels_width + 20;
  layout.bar_ticks = data.normalized ? std::vector<double>{0, 0.5, 1}
                                     : NiceTicks(0, std::max(1.0, data.max), 5).values;
  if (!data.normalized) {  // keep the bar's labels within its range
    while (layout.bar_ticks.size() > 2 && layout.bar_ticks.back() > data.max)
      layout.bar_ticks.pop_back();
  }
  double bar_labels = 0;
  for (double tick : layout.bar_ticks)
    bar_labels = std::max(bar_labels, canvas.TextWidth(FormatValue(tick), kTickFont));
  double width = layout.bar_x + kColorBarWidth + 5 + bar_labels + kMargin;
  double height = layout.grid_top + grid + layout.x_labels.height + kGap + axis_title + kMargin;
  layout.size = {std::ceil(std::max(width, 320.0)), std::ceil(height)};
  return layout;
}

void DrawColorBar(Canvas& canvas, const Layout& layout, const ConfusionData& data, double height) {
  constexpr int kSteps = 64;
  double top = layout.grid_top;
  for (int i = 0; i < kSteps; ++i) {
    double t = 1 - (i + 0.5) / kSteps;
    canvas.FillRect(
        {layout.bar_x, top + height * i / kSteps, kColorBarWidth, height / kSteps + 0.5},
        HeatColor(t));
  }
  canvas.StrokeRect({Crisp(layout.bar_x), Crisp(top), kColorBarWidth, std::round(height)},
                    Rgb(palette::kAxis));
  double max = data.max > 0 ? data.max : 1;
  for (double tick : layout.bar_ticks) {
    double y = top + height * (1 - tick / max);
    canvas.Line(layout.bar_x + kColorBarWidth, Crisp(y), layout.bar_x + kColorBarWidth + 3,
                Crisp(y), Rgb(palette::kAxis));
    canvas.Text(FormatValue(tick), layout.bar_x + kColorBarWidth + 5, y, kTickFont,
                Rgb(palette::kMutedText), HAlign::kLeft, VAlign::kMiddle);
  }
}

}  // namespace

Size ConfusionSize(Canvas& canvas, const Figure& figure, Size) {
  ConfusionData data = Prepare(figure);
  return ComputeLayout(canvas, figure, data).size;
}

void DrawConfusion(Canvas& canvas, const Figure& figure, Size size) {
  ConfusionData data = Prepare(figure);
  Layout layout = ComputeLayout(canvas, figure, data);
  DrawTitle(canvas, figure.title, size.width, kMargin);
  size_t n = data.classes.size();
  double grid = layout.cell * static_cast<double>(n);
  Color muted = Rgb(palette::kMutedText);
  Color axis = Rgb(palette::kAxis);
  for (size_t p = 0; p < data.cells.size(); ++p) {
    double left = layout.grid_left + static_cast<double>(p) * (grid + kPanelGap);
    Rect panel{left, layout.grid_top, grid, grid};
    if (data.cells.size() > 1) {
      canvas.Text(canvas.Fit(figure.series[p].label, kCaptionFont, grid + kPanelGap - 4),
                  left + grid / 2, layout.title_bottom, kCaptionFont, Rgb(palette::kText),
                  HAlign::kCenter, VAlign::kTop);
    }
    for (size_t row = 0; row < n; ++row) {
      for (size_t col = 0; col < n; ++col) {
        double value = data.cells[p][row][col];
        Color fill = HeatColor(data.max > 0 ? value / data.max : 0);
        Rect cell{left + static_cast<double>(col) * layout.cell,
                  layout.grid_top + static_cast<double>(row) * layout.cell, layout.cell,
                  layout.cell};
        canvas.FillRect(cell, fill);
        if (layout.numbers) {
          canvas.Text(CellText(value, data.normalized), cell.x + cell.w / 2, cell.y + cell.h / 2,
                      kCellFont, PrefersLightText(fill) ? Rgb(0xffffff) : Rgb(palette::kText),
                      HAlign::kCenter, VAlign::kMiddle);
        }
      }
    }
    canvas.StrokeRect({Crisp(panel.x), Crisp(panel.y), std::round(grid), std::round(grid)}, axis);
    std::vector<double> centers;
    for (size_t i = 0; i < n; ++i)
      centers.push_back(left + (static_cast<double>(i) + 0.5) * layout.cell);
    DrawCategoryLabels(canvas, data.classes, centers, panel.bottom(), layout.x_labels,
                       kMaxClassLabelWidth);
    DrawXTitle(canvas, figure.x_label, panel, panel.bottom() + layout.x_labels.height + kGap);
    if (p == 0) {
      for (size_t i = 0; i < n; ++i) {
        double y = layout.grid_top + (static_cast<double>(i) + 0.5) * layout.cell;
        canvas.Line(left - kTickLength, Crisp(y), left, Crisp(y), axis);
        canvas.Text(canvas.FitMiddle(data.classes[i], kTickFont, kMaxClassLabelWidth),
                    left - kTickLength - 3, y, kTickFont, muted, HAlign::kRight, VAlign::kMiddle);
      }
      DrawYTitle(canvas, figure.y_label, panel, kMargin);
    }
  }
  DrawColorBar(canvas, layout, data, grid);
}

}  // namespace conveyor::chart
