#include "plots/plot_render.h"

#include <cairo-svg.h>
#include <cairo.h>

#include <cmath>
#include <memory>

#include "plots/canvas.h"
#include "plots/charts.h"
#include "plots/palette.h"
#include "plots/plots_html.h"

namespace conveyor {

namespace {

struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct ContextDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using ContextPtr = std::unique_ptr<cairo_t, ContextDeleter>;

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

chart::Size SizeOn(Canvas& canvas, const Figure& figure, const RenderOptions& options) {
  chart::Size preferred{static_cast<double>(options.width), static_cast<double>(options.height)};
  if (IsConfusion(figure.tmpl))
    return chart::ConfusionSize(canvas, figure, preferred);
  if (IsBar(figure.tmpl))
    return chart::BarChartSize(canvas, figure, preferred);
  return chart::XyChartSize(figure, preferred);
}

void Draw(Canvas& canvas, const Figure& figure, chart::Size size) {
  canvas.FillRect({0, 0, size.width, size.height}, Rgb(palette::kBackground));
  if (IsConfusion(figure.tmpl))
    chart::DrawConfusion(canvas, figure, size);
  else if (IsBar(figure.tmpl))
    chart::DrawBarChart(canvas, figure, size);
  else
    chart::DrawXyChart(canvas, figure, size);
}

Status CheckCairo(cairo_status_t status, const char* what) {
  if (status == CAIRO_STATUS_SUCCESS)
    return OkStatus();
  return Error(Code::kInternal, "cairo: {}: {}", what, cairo_status_to_string(status));
}

}  // namespace

FigureSize MeasureFigure(const Figure& figure, const RenderOptions& options) {
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1));
  ContextPtr cr(cairo_create(surface.get()));
  Canvas canvas(cr.get());
  chart::Size size = SizeOn(canvas, figure, options);
  return {static_cast<int>(std::ceil(size.width)), static_cast<int>(std::ceil(size.height))};
}

Result<std::string> RenderPng(const Figure& figure, const RenderOptions& options) {
  FigureSize size = MeasureFigure(figure, options);
  double scale = options.scale > 0 ? options.scale : 1;
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32,
                                                static_cast<int>(std::ceil(size.width * scale)),
                                                static_cast<int>(std::ceil(size.height * scale))));
  RETURN_IF_ERROR(CheckCairo(cairo_surface_status(surface.get()), "creating the image"));
  {
    ContextPtr cr(cairo_create(surface.get()));
    cairo_scale(cr.get(), scale, scale);
    Canvas canvas(cr.get());
    Draw(canvas, figure, {static_cast<double>(size.width), static_cast<double>(size.height)});
    RETURN_IF_ERROR(CheckCairo(cairo_status(cr.get()), "drawing"));
  }
  std::string png;
  RETURN_IF_ERROR(CheckCairo(cairo_surface_write_to_png_stream(surface.get(), AppendToString, &png),
                             "writing the PNG"));
  return png;
}

Result<std::string> RenderSvg(const Figure& figure, const RenderOptions& options) {
  FigureSize size = MeasureFigure(figure, options);
  std::string svg;
  {
    SurfacePtr surface(
        cairo_svg_surface_create_for_stream(AppendToString, &svg, size.width, size.height));
    RETURN_IF_ERROR(CheckCairo(cairo_surface_status(surface.get()), "creating the SVG"));
    cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PX);
    {
      ContextPtr cr(cairo_create(surface.get()));
      Canvas canvas(cr.get());
      Draw(canvas, figure, {static_cast<double>(size.width), static_cast<double>(size.height)});
      RETURN_IF_ERROR(CheckCairo(cairo_status(cr.get()), "drawing"));
    }
    cairo_surface_finish(surface.get());
    RETURN_IF_ERROR(CheckCairo(cairo_surface_status(surface.get()), "writing the SVG"));
  }
  // A <title> right after the opening <svg ...> tag.
  size_t svg_tag = svg.find("<svg");
  size_t tag_end = svg_tag == std::string::npos ? svg_tag : svg.find('>', svg_tag);
  if (tag_end != std::string::npos && !figure.title.empty())
    svg.insert(tag_end + 1, "\n<title>" + EscapeHtml(figure.title) + "</title>");
  return svg;
}

}  // namespace conveyor
