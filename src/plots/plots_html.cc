#include "plots/plots_html.h"

#include <fmt/core.h>

namespace conveyor {

namespace {

constexpr char kStyle[] =
    R"(body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 16px}
main{display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px;max-width:100%}
h2{font-size:15px;margin:0 0 4px}
.id{font:12px monospace;color:#666;margin:0 0 8px}
img{display:block;max-width:100%;height:auto}
figure{margin:0 0 8px}
figcaption{font-size:12px;color:#555}
.links{font-size:12px}
.error{color:#b00020;font-size:13px;white-space:pre-wrap}
.images{display:flex;flex-wrap:wrap;gap:12px})";

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string EscapeUrlPath(std::string_view path) {
  std::string escaped;
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                 (byte >= '0' && byte <= '9') || c == '/' || c == '.' || c == '-' || c == '_' ||
                 c == '~';
    escaped += plain ? std::string(1, c) : fmt::format("%{:02X}", byte);
  }
  return escaped;
}

std::string PlotsIndexHtml(const std::vector<HtmlPlot>& plots, std::string_view heading) {
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{0}</title>\n<style>\n{1}\n</style>\n</head>\n<body>\n<h1>{0}</h1>\n<main>\n",
      EscapeHtml(heading), kStyle);
  if (plots.empty())
    html += "<p>No plots.</p>\n";
  for (const HtmlPlot& plot : plots) {
    const std::string& heading_text = plot.title.empty() ? plot.id : plot.title;
    html += fmt::format("<section>\n<h2>{}</h2>\n", EscapeHtml(heading_text));
    if (heading_text != plot.id)  // a custom title: say which plot it is
      html += fmt::format("<p class=\"id\">{}</p>\n", EscapeHtml(plot.id));
    if (!plot.error.empty()) {
      html += fmt::format("<p class=\"error\">{}</p>\n", EscapeHtml(plot.error));
    } else if (!plot.images.empty()) {
      html += "<div class=\"images\">\n";
      for (const HtmlPlot::Image& image : plot.images) {
        html += fmt::format(
            "<figure><img src=\"{0}\" alt=\"{1} ({2})\"><figcaption>{2}</figcaption></figure>\n",
            EscapeHtml(EscapeUrlPath(image.file)), EscapeHtml(plot.id), EscapeHtml(image.revision));
      }
      html += "</div>\n";
    } else {
      html += fmt::format(
          "<img src=\"{0}\" alt=\"{1}\">\n<p class=\"links\"><a href=\"{2}\">SVG</a> · "
          "<a href=\"{0}\">PNG</a></p>\n",
          EscapeHtml(EscapeUrlPath(plot.png)),
          EscapeHtml(plot.title.empty() ? plot.id : plot.title),
          EscapeHtml(EscapeUrlPath(plot.svg)));
    }
    html += "</section>\n";
  }
  html += "</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace conveyor
