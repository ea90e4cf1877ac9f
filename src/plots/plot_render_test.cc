// Rendering: golden PNGs compared with a tolerance for anti-aliasing, and
// structural checks on the SVG. CONVEYOR_UPDATE_GOLDENS=1 rewrites the
// goldens in src/plots/testdata/ (look at them before committing).
#include "plots/plot_render.h"

#include <cairo.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/file_util.h"

namespace conveyor {
namespace {

const std::string kTestData = CONVEYOR_PLOTS_TESTDATA;

PlotValue Num(double value) { return PlotValue::Number(value, std::to_string(value)); }
PlotValue Txt(std::string text) { return PlotValue::Text(std::move(text)); }

Figure LinearFigure() {
  Figure figure;
  figure.tmpl = PlotTemplate::kLinear;
  figure.title = "Training loss";
  figure.x_label = "epoch";
  figure.y_label = "loss";
  Series train{"loss", {}, {}};
  Series val{"val_loss", {}, {}};
  for (int i = 0; i < 10; ++i) {
    train.x.push_back(Num(i));
    train.y.push_back(Num(1.2 * std::exp(-0.35 * i) + 0.05));
    val.x.push_back(Num(i));
    val.y.push_back(Num(1.3 * std::exp(-0.3 * i) + 0.12 + 0.02 * (i % 3)));
  }
  figure.series = {train, val};
  return figure;
}

Figure ConfusionFigure() {
  Figure figure;
  figure.tmpl = PlotTemplate::kConfusion;
  figure.title = "Confusion";
  figure.x_label = "predicted";
  figure.y_label = "actual";
  Series series{"workspace", {}, {}};
  const char* classes[] = {"bird", "cat", "dog"};
  const int counts[3][3] = {{12, 2, 1}, {3, 20, 4}, {0, 5, 18}};  // [actual][predicted]
  for (int a = 0; a < 3; ++a) {
    for (int p = 0; p < 3; ++p) {
      for (int n = 0; n < counts[a][p]; ++n) {
        series.x.push_back(Txt(classes[p]));
        series.y.push_back(Txt(classes[a]));
      }
    }
  }
  figure.series = {series};
  return figure;
}

Figure BarFigure() {
  Figure figure;
  figure.tmpl = PlotTemplate::kBarHorizontal;
  figure.title = "Feature importance";
  figure.x_label = "importance";
  figure.y_label = "feature";
  Series series{"importance", {}, {}};
  const std::pair<const char*, double> bars[] = {
      {"pixel_mean", 0.31}, {"edges", 0.22}, {"aspect_ratio", 0.18}, {"holes", 0.09}};
  for (const auto& [name, value] : bars) {
    series.x.push_back(Num(value));
    series.y.push_back(Txt(name));
  }
  figure.series = {series};
  return figure;
}

struct Pixels {
  int width = 0;
  int height = 0;
  std::vector<uint32_t> argb;
};

Pixels Decode(const std::string& png) {
  struct Reader {
    const std::string* data;
    size_t offset = 0;
  } reader{&png};
  cairo_surface_t* surface = cairo_image_surface_create_from_png_stream(
      [](void* closure, unsigned char* out, unsigned int length) {
        auto* r = static_cast<Reader*>(closure);
        if (r->offset + length > r->data->size())
          return CAIRO_STATUS_READ_ERROR;
        std::memcpy(out, r->data->data() + r->offset, length);
        r->offset += length;
        return CAIRO_STATUS_SUCCESS;
      },
      &reader);
  Pixels pixels;
  if (cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS) {
    cairo_surface_t* argb =
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cairo_image_surface_get_width(surface),
                                   cairo_image_surface_get_height(surface));
    cairo_t* cr = cairo_create(argb);
    cairo_set_source_surface(cr, surface, 0, 0);
    cairo_paint(cr);
    cairo_destroy(cr);
    cairo_surface_flush(argb);
    pixels.width = cairo_image_surface_get_width(argb);
    pixels.height = cairo_image_surface_get_height(argb);
    int stride = cairo_image_surface_get_stride(argb);
    const unsigned char* data = cairo_image_surface_get_data(argb);
    for (int y = 0; y < pixels.height; ++y) {
      const auto* row = reinterpret_cast<const uint32_t*>(data + y * stride);
      pixels.argb.insert(pixels.argb.end(), row, row + pixels.width);
    }
    cairo_surface_destroy(argb);
  }
  cairo_surface_destroy(surface);
  return pixels;
}

// "" when `actual` matches `expected`: same size, and at most
// `max_fraction` of the pixels differ by more than `tolerance` in a channel.
std::string Compare(const std::string& actual_png, const std::string& expected_png,
                    int tolerance = 48, double max_fraction = 0.001) {
  Pixels actual = Decode(actual_png);
  Pixels expected = Decode(expected_png);
  if (expected.argb.empty())
    return "the golden is not a readable PNG";
  if (actual.width != expected.width || actual.height != expected.height) {
    return "size " + std::to_string(actual.width) + "x" + std::to_string(actual.height) +
           " != golden " + std::to_string(expected.width) + "x" + std::to_string(expected.height);
  }
  size_t differing = 0;
  for (size_t i = 0; i < actual.argb.size(); ++i) {
    for (int shift = 0; shift < 32; shift += 8) {
      int a = static_cast<int>((actual.argb[i] >> shift) & 0xff);
      int b = static_cast<int>((expected.argb[i] >> shift) & 0xff);
      if (std::abs(a - b) > tolerance) {
        ++differing;
        break;
      }
    }
  }
  double fraction = static_cast<double>(differing) / static_cast<double>(actual.argb.size());
  if (fraction > max_fraction)
    return std::to_string(differing) + " pixels differ (" + std::to_string(fraction * 100) + "%)";
  return "";
}

void ExpectMatchesGolden(const Figure& figure, const std::string& name) {
  Result<std::string> png = RenderPng(figure);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  std::string path = kTestData + "/" + name;
  const char* update = std::getenv("CONVEYOR_UPDATE_GOLDENS");
  if (update != nullptr && std::string(update) == "1") {
    ASSERT_TRUE(AtomicWriteFile(path, *png).ok());
    return;
  }
  Result<std::string> golden = ReadFileToString(path);
  ASSERT_TRUE(golden.ok()) << golden.status().ToString()
                           << " (run with CONVEYOR_UPDATE_GOLDENS=1 to create it)";
  std::string difference = Compare(*png, *golden);
  if (!difference.empty()) {
    std::string actual_path = ::testing::TempDir() + name;
    (void)AtomicWriteFile(actual_path, *png);
    FAIL() << name << ": " << difference << "; this run's image is " << actual_path
           << " (CONVEYOR_UPDATE_GOLDENS=1 rewrites the golden)";
  }
}

TEST(PlotRenderTest, LinearTwoSeriesMatchesGolden) {
  ExpectMatchesGolden(LinearFigure(), "linear_two_series.png");
}

TEST(PlotRenderTest, ConfusionMatchesGolden) {
  ExpectMatchesGolden(ConfusionFigure(), "confusion.png");
}

TEST(PlotRenderTest, BarHorizontalMatchesGolden) {
  ExpectMatchesGolden(BarFigure(), "bar_horizontal.png");
}

TEST(PlotRenderTest, TheComparisonNoticesARealChange) {
  Figure changed = LinearFigure();
  changed.series[1].y[5] = Num(1.1);
  std::string a = *RenderPng(LinearFigure());
  EXPECT_EQ(Compare(a, a), "");
  // One point of one line moved. (A one-letter change of text is within the
  // tolerance; the SVG test checks text.)
  EXPECT_NE(Compare(*RenderPng(changed), a), "");
}

TEST(PlotRenderTest, SvgIsAWellFormedDocumentWithTheTitle) {
  Figure figure = LinearFigure();
  figure.title = "Loss & <accuracy>";
  Result<std::string> svg = RenderSvg(figure);
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_TRUE(svg->starts_with("<?xml")) << svg->substr(0, 40);
  size_t open = svg->find("<svg");
  ASSERT_NE(open, std::string::npos);
  EXPECT_NE(svg->find("width=\"640px\"", open), std::string::npos) << svg->substr(open, 200);
  EXPECT_NE(svg->find("<title>Loss &amp; &lt;accuracy&gt;</title>"), std::string::npos);
  EXPECT_NE(svg->rfind("</svg>"), std::string::npos);
  EXPECT_EQ(svg->find("<title>"), svg->find('>', open) + 2);
}

// With CONVEYOR_PLOTS_DUMP_DIR set, the images are also written there, to
// look at.
void Dump(const std::string& name, const std::string& png) {
  const char* dir = std::getenv("CONVEYOR_PLOTS_DUMP_DIR");
  if (dir != nullptr) {
    ASSERT_TRUE(AtomicWriteFile(std::string(dir) + "/" + name + ".png", png).ok());
  }
}

TEST(PlotRenderTest, EveryTemplateRenders) {
  for (const std::string& name : PlotTemplateNames()) {
    Figure figure = IsConfusion(*ParsePlotTemplate(name))
                        ? ConfusionFigure()
                        : (IsBar(*ParsePlotTemplate(name)) ? BarFigure() : LinearFigure());
    figure.tmpl = *ParsePlotTemplate(name);
    Result<std::string> png = RenderPng(figure);
    ASSERT_TRUE(png.ok()) << name;
    EXPECT_EQ(png->substr(1, 3), "PNG") << name;
    EXPECT_TRUE(RenderSvg(figure).ok()) << name;
    Dump(name, *png);
  }
}

TEST(PlotRenderTest, RevisionsOverlayOrSitSideBySide) {
  Figure confusion = ConfusionFigure();
  confusion.series.push_back(confusion.series[0]);
  confusion.series[0].label = "HEAD";
  confusion.series[1].x[0] = Txt("dog");
  Result<std::string> panels = RenderPng(confusion);
  ASSERT_TRUE(panels.ok());
  Dump("confusion_two_revisions", *panels);

  Figure bars = BarFigure();
  bars.series.push_back(bars.series[0]);
  bars.series[0].label = "main";
  bars.series[1].label = "workspace";
  bars.series[1].x[1] = Num(0.27);
  Result<std::string> grouped = RenderPng(bars);
  ASSERT_TRUE(grouped.ok());
  Dump("bar_two_revisions", *grouped);
}

TEST(PlotRenderTest, SizesFollowTheContent) {
  FigureSize linear = MeasureFigure(LinearFigure());
  EXPECT_EQ(linear.width, 640);
  EXPECT_EQ(linear.height, 420);
  FigureSize wide = MeasureFigure(LinearFigure(), {.width = 800, .height = 300});
  EXPECT_EQ(wide.width, 800);

  Figure two_panels = ConfusionFigure();
  two_panels.series.push_back(two_panels.series[0]);
  two_panels.series[1].label = "HEAD";
  EXPECT_GT(MeasureFigure(two_panels).width, MeasureFigure(ConfusionFigure()).width);

  Figure many_bars = BarFigure();
  for (int i = 0; i < 30; ++i) {
    many_bars.series[0].x.push_back(Num(i));
    many_bars.series[0].y.push_back(Txt("f" + std::to_string(i)));
  }
  EXPECT_GT(MeasureFigure(many_bars).height, MeasureFigure(BarFigure()).height);

  Result<std::string> png = RenderPng(LinearFigure(), {.scale = 2});
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(Decode(*png).width, 1280);
}

TEST(PlotRenderTest, CategoricalXAndNonNumericYAreHandled) {
  Figure figure;
  figure.title = "per class";
  Series series{"precision", {}, {}};
  for (int i = 0; i < 40; ++i) {
    series.x.push_back(Txt("class_number_" + std::to_string(i)));
    series.y.push_back(i == 3 ? Txt("n/a") : Num(i * 0.01));
  }
  figure.series = {series};
  EXPECT_TRUE(RenderPng(figure).ok());
}

}  // namespace
}  // namespace conveyor
