// index.html for a directory of rendered plots: every plot's title, its PNG
// (with alt text) and a link to its SVG; image plots shown as they are, one
// per revision. Plain HTML5 with a small inline style sheet and no external
// resources, so it opens offline and from CI artefacts.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace conveyor {

struct HtmlPlot {
  std::string id;     // the plot id, shown under the title
  std::string title;  // the heading
  // A chart: file names relative to the index (empty for image plots).
  std::string png;
  std::string svg;
  // An image plot: one (revision, file relative to the index) per revision.
  struct Image {
    std::string revision;
    std::string file;
  };
  std::vector<Image> images;
  std::string error;  // shown instead of the plot when set
};

// The whole index.html document. `heading` is the page's <title> and <h1>.
std::string PlotsIndexHtml(const std::vector<HtmlPlot>& plots, std::string_view heading);

// Escapes & < > " ' for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);
// Percent-encodes what a relative URL path may not hold as is (space, %, #,
// ?, quotes, non-ASCII bytes), keeping '/'.
std::string EscapeUrlPath(std::string_view path);

}  // namespace conveyor
