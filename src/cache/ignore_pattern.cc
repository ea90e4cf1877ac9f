#include "cache/ignore_pattern.h"

#include <utility>

namespace conveyor {
namespace {

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t next = s.find(sep, start);
    if (next == std::string_view::npos) {
      parts.emplace_back(s.substr(start));
      return parts;
    }
    parts.emplace_back(s.substr(start, next - start));
    start = next + 1;
  }
}

// Decodes the UTF-8 sequence at s[pos] leniently (a stray byte decodes as
// itself) so that `?` and `[...]` consume one character, as Python's re does
// on str. Returns the sequence length (>= 1).
size_t DecodeAt(std::string_view s, size_t pos, uint32_t& code_point) {
  auto b0 = static_cast<unsigned char>(s[pos]);
  size_t len = b0 < 0x80             ? 1
               : (b0 & 0xe0) == 0xc0 ? 2
               : (b0 & 0xf0) == 0xe0 ? 3
               : (b0 & 0xf8) == 0xf0 ? 4
                                     : 1;
  if (len == 1 || pos + len > s.size()) {
    code_point = b0;
    return 1;
  }
  uint32_t cp = b0 & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    auto b = static_cast<unsigned char>(s[pos + k]);
    if ((b & 0xc0) != 0x80) {
      code_point = b0;
      return 1;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  code_point = cp;
  return len;
}

}  // namespace

IgnorePattern::Element IgnorePattern::MakeElement(Kind kind, char literal) {
  Element element;
  element.kind = kind;
  element.literal = literal;
  return element;
}

Result<IgnorePattern> IgnorePattern::Parse(std::string_view line) {
  IgnorePattern pattern;
  pattern.text_ = std::string(line);
  if (line.empty() || line.front() == '#' || line == "/") {
    pattern.matches_nothing_ = true;
    return pattern;
  }
  pattern.dir_only_ = line.back() == '/';
  std::string_view body = line;
  if (body.front() == '!') {
    pattern.negated_ = true;
    body.remove_prefix(1);
  }
  std::vector<std::string> segs = Split(body, '/');
  for (size_t i = segs.size() - 1; i > 0; --i) {
    if (segs[i - 1] == "**" && segs[i] == "**")
      segs.erase(segs.begin() + static_cast<long>(i));
  }
  if (segs.size() == 2 && segs[0] == "**" && segs[1].empty()) {
    pattern.elements_.push_back(MakeElement(Kind::kHasInnerSlash));
    return pattern;
  }
  if (segs[0].empty()) {
    segs.erase(segs.begin());
  } else if (segs.size() == 1 || (segs.size() == 2 && segs[1].empty())) {
    if (segs[0] != "**")
      segs.insert(segs.begin(), "**");
  }
  if (segs.empty()) {
    return Error(Code::kInvalid, "invalid pattern '{}': it names no path", line);
  }
  if (segs.size() > 1 && segs.back().empty())
    segs.back() = "**";

  std::vector<Element>& out = pattern.elements_;
  bool need_slash = false;
  size_t end = segs.size() - 1;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    if (seg == "**") {
      if (i == 0 && i == end) {
        out.push_back(MakeElement(Kind::kAnything));
      } else if (i == 0) {
        out.push_back(MakeElement(Kind::kLeadingDirs));
        need_slash = false;
      } else if (i == end) {
        out.push_back(MakeElement(Kind::kSlashRest));
      } else {
        out.push_back(MakeElement(Kind::kInnerDirs));
        need_slash = true;
      }
      continue;
    }
    if (need_slash)
      out.push_back(MakeElement(Kind::kLiteral, '/'));
    if (seg == "*") {
      out.push_back(MakeElement(Kind::kPlus));
    } else {
      // One component glob (pathspec `_translate_segment_glob`).
      bool escape = false;
      size_t k = 0;
      while (k < seg.size()) {
        char c = seg[k++];
        if (escape) {
          escape = false;
          out.push_back(MakeElement(Kind::kLiteral, c));
        } else if (c == '\\') {
          escape = true;
        } else if (c == '*') {
          out.push_back(MakeElement(Kind::kStar));
        } else if (c == '?') {
          out.push_back(MakeElement(Kind::kAnyChar));
        } else if (c == '[') {
          size_t j = k;
          if (j < seg.size() && (seg[j] == '!' || seg[j] == '^'))
            ++j;
          if (j < seg.size() && seg[j] == ']')
            ++j;
          while (j < seg.size() && seg[j] != ']')
            ++j;
          if (j >= seg.size()) {
            out.push_back(MakeElement(Kind::kLiteral, '['));
            continue;
          }
          Element element = MakeElement(Kind::kClass);
          if (seg[k] == '!' || seg[k] == '^') {
            element.class_negated = true;
            ++k;
          }
          // Members are seg[k, j): single characters and ranges "a-z"; a
          // backslash is an ordinary member, as in pathspec.
          std::string_view members(seg.data() + k, j - k);
          size_t m = 0;
          while (m < members.size()) {
            uint32_t lo = 0;
            m += DecodeAt(members, m, lo);
            uint32_t hi = lo;
            if (m + 1 < members.size() && members[m] == '-') {
              m += 1 + DecodeAt(members, m + 1, hi);
            }
            element.ranges.push_back({lo, hi});
          }
          out.push_back(std::move(element));
          k = j + 1;
        } else {
          out.push_back(MakeElement(Kind::kLiteral, c));
        }
      }
      if (escape) {
        return Error(Code::kInvalid, "invalid pattern '{}': it ends with an escape (\\)", line);
      }
    }
    if (i == end)
      out.push_back(MakeElement(Kind::kOptionalRest));
    need_slash = true;
  }
  return pattern;
}

bool IgnorePattern::Matches(std::string_view relpath, bool is_dir) const {
  if (matches_nothing_ || (dir_only_ && !is_dir))
    return false;
  if (MatchOne(relpath))
    return true;
  if (is_dir && (relpath.empty() || relpath.back() != '/')) {
    std::string with_slash(relpath);
    with_slash += '/';
    return MatchOne(with_slash);
  }
  return false;
}

bool IgnorePattern::MatchOne(std::string_view s) const {
  // Memo of (element, position) pairs already known not to match, so that
  // patterns with several stars stay linear in practice.
  std::vector<uint8_t> failed((elements_.size() + 1) * (s.size() + 1), 0);
  return MatchFrom(0, s, 0, failed);
}

bool IgnorePattern::ClassContains(const Element& element, uint32_t code_point) {
  bool in = false;
  for (const Range& range : element.ranges) {
    if (code_point >= range.lo && code_point <= range.hi) {
      in = true;
      break;
    }
  }
  return in != element.class_negated;
}

bool IgnorePattern::MatchFrom(size_t i, std::string_view s, size_t pos,
                              std::vector<uint8_t>& failed) const {
  if (i == elements_.size())
    return pos == s.size();
  uint8_t& memo = failed[i * (s.size() + 1) + pos];
  if (memo != 0)
    return false;
  const Element& e = elements_[i];
  bool matched = false;
  switch (e.kind) {
    case Kind::kLiteral:
      matched = pos < s.size() && s[pos] == e.literal && MatchFrom(i + 1, s, pos + 1, failed);
      break;
    case Kind::kAnyChar:
    case Kind::kClass: {
      if (pos >= s.size())
        break;
      uint32_t cp = 0;
      size_t len = DecodeAt(s, pos, cp);
      bool ok = e.kind == Kind::kAnyChar ? cp != '/' : ClassContains(e, cp);
      matched = ok && MatchFrom(i + 1, s, pos + len, failed);
      break;
    }
    case Kind::kStar:
    case Kind::kPlus: {
      size_t stop = s.find('/', pos);
      if (stop == std::string_view::npos)
        stop = s.size();
      size_t first = e.kind == Kind::kPlus ? pos + 1 : pos;
      for (size_t k = first; k <= stop && !matched; ++k)
        matched = MatchFrom(i + 1, s, k, failed);
      break;
    }
    case Kind::kLeadingDirs:
      matched = MatchFrom(i + 1, s, pos, failed);
      for (size_t k = pos + 1; k < s.size() && !matched; ++k) {
        if (s[k] == '/')
          matched = MatchFrom(i + 1, s, k + 1, failed);
      }
      break;
    case Kind::kInnerDirs:
      matched = MatchFrom(i + 1, s, pos, failed);
      if (!matched && pos < s.size() && s[pos] == '/') {
        for (size_t k = pos + 2; k <= s.size() && !matched; ++k) {
          matched = MatchFrom(i + 1, s, k, failed);
        }
      }
      break;
    case Kind::kSlashRest:
      matched = pos < s.size() && s[pos] == '/';
      break;
    case Kind::kOptionalRest:
      matched = pos == s.size() || s[pos] == '/';
      break;
    case Kind::kAnything:
      matched = pos < s.size() && s[pos] != '/';
      break;
    case Kind::kHasInnerSlash:
      matched = pos < s.size() && s.find('/', pos + 1) != std::string_view::npos;
      break;
  }
  if (!matched)
    memo = 1;
  return matched;
}

}  // namespace conveyor
