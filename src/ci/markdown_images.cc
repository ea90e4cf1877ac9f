#include "ci/markdown_images.h"

namespace conveyor::ci {

namespace {

// Offset just past the ']' matching the '[' at `open`, or npos.
size_t MatchBracket(std::string_view text, size_t open) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      ++i;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']' && --depth == 0) {
      return i + 1;
    } else if (c == '\n' && i + 1 < text.size() && text[i + 1] == '\n') {
      return std::string_view::npos;  // links do not span paragraphs
    }
  }
  return std::string_view::npos;
}

// Parses "(target "title")" at `at`; fills the link's target; returns the
// offset past ')' or npos.
size_t ParseDestination(std::string_view text, size_t at, ImageLink& link) {
  if (at >= text.size() || text[at] != '(') {
    return std::string_view::npos;
  }
  size_t i = at + 1;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
    ++i;
  }
  link.target_begin = i;
  if (i < text.size() && text[i] == '<') {
    size_t close = text.find('>', i);
    if (close == std::string_view::npos ||
        text.substr(i, close - i).find('\n') != std::string_view::npos) {
      return std::string_view::npos;
    }
    link.target = std::string(text.substr(i + 1, close - i - 1));
    i = close + 1;
  } else {
    int parens = 0;
    size_t start = i;
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (c == '\\') {
        ++i;
      } else if (c == '(') {
        ++parens;
      } else if (c == ')') {
        if (parens-- == 0) {
          break;
        }
      } else if (c == ' ' || c == '\t' || c == '\n') {
        break;
      }
    }
    link.target = std::string(text.substr(start, i - start));
  }
  link.target_end = i;
  // Optional title, then ')'.
  size_t close = text.find(')', i);
  if (close == std::string_view::npos) {
    return std::string_view::npos;
  }
  std::string_view between = text.substr(i, close - i);
  for (char c : between) {
    if (c != ' ' && c != '\t' && c != '\n') {
      if (c != '"' && c != '\'' && c != '(') {
        return std::string_view::npos;
      }
      break;
    }
  }
  if (link.target.empty()) {
    return std::string_view::npos;
  }
  return close + 1;
}

// The offset past the code span or fence starting at `at`, or `at` if none.
size_t SkipCode(std::string_view text, size_t at) {
  bool line_start = at == 0 || text[at - 1] == '\n';
  if (line_start && text.substr(at, 3) == "```") {
    size_t close = text.find("\n```", at + 3);
    return close == std::string_view::npos ? text.size() : close + 4;
  }
  if (text[at] == '`') {
    size_t run = 0;
    while (at + run < text.size() && text[at + run] == '`') {
      ++run;
    }
    std::string fence(run, '`');
    size_t close = text.find(fence, at + run);
    return close == std::string_view::npos ? at + run : close + run;
  }
  return at;
}

}  // namespace

std::vector<ImageLink> FindImageLinks(std::string_view markdown) {
  std::vector<ImageLink> links;
  size_t i = 0;
  while (i < markdown.size()) {
    size_t skipped = SkipCode(markdown, i);
    if (skipped != i) {
      i = skipped;
      continue;
    }
    if (markdown[i] == '\\') {
      i += 2;
      continue;
    }
    if (markdown[i] == '!' && i + 1 < markdown.size() && markdown[i + 1] == '[') {
      size_t after_alt = MatchBracket(markdown, i + 1);
      if (after_alt != std::string_view::npos) {
        ImageLink link;
        link.begin = i;
        link.alt = std::string(markdown.substr(i + 2, after_alt - i - 3));
        size_t end = ParseDestination(markdown, after_alt, link);
        if (end != std::string_view::npos) {
          link.end = end;
          links.push_back(std::move(link));
          i = end;
          continue;
        }
      }
    }
    ++i;
  }
  return links;
}

bool IsRelativeTarget(std::string_view target) {
  if (target.empty() || target[0] == '/' || target[0] == '#') {
    return false;
  }
  size_t colon = target.find(':');
  size_t slash = target.find('/');
  // A scheme ("https:", "data:") comes before any '/'.
  return colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon);
}

std::string NormalizeImagePath(std::string_view path) {
  while (path.substr(0, 2) == "./") {
    path.remove_prefix(2);
  }
  return std::string(path);
}

std::string RewriteImageLinks(
    std::string_view markdown,
    const std::function<std::optional<std::string>(const ImageLink&)>& replace) {
  std::string out;
  size_t copied = 0;
  for (const ImageLink& link : FindImageLinks(markdown)) {
    std::optional<std::string> text = replace(link);
    if (!text) {
      continue;
    }
    out.append(markdown.substr(copied, link.begin - copied));
    out += *text;
    copied = link.end;
  }
  out.append(markdown.substr(copied));
  return out;
}

}  // namespace conveyor::ci
