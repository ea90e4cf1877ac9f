// The image links of a Markdown report: `![alt](target)`, with an optional
// title (`![alt](target "title")`) and an optional <angle-bracketed> target.
// The report refers to its plots by relative file names
// (`![confusion](plots/confusion.png)`); before posting, each such target is
// replaced by the URL the image was uploaded to.
//
// Only inline image links are recognised (no reference-style images, no HTML
// <img>); links inside code spans or fenced code blocks are left alone.
//
// Thread safety: pure functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace conveyor::ci {

struct ImageLink {
  size_t begin = 0;  // offset of "![" in the text
  size_t end = 0;    // one past the closing ')'
  std::string alt;
  std::string target;                       // without angle brackets
  size_t target_begin = 0, target_end = 0;  // the target's span (brackets included)
};

// Every inline image link, in order.
std::vector<ImageLink> FindImageLinks(std::string_view markdown);

// True when `target` is a local file name (not "https://...", "data:", "/x",
// "#x").
bool IsRelativeTarget(std::string_view target);

// "./plots/a.png" -> "plots/a.png".
std::string NormalizeImagePath(std::string_view path);

// Rewrites each image link: `replace(link)` returns the new text for the whole
// link, or nullopt to keep it.
std::string RewriteImageLinks(
    std::string_view markdown,
    const std::function<std::optional<std::string>(const ImageLink&)>& replace);

}  // namespace conveyor::ci
