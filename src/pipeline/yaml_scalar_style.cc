#include "pipeline/yaml_scalar_style.h"

namespace conveyor {
namespace {

// '\0 \t\r\n\x85\u2028\u2029' in analyze_scalar.
bool IsBlankOrBreak(char32_t ch) {
  return ch == 0 || ch == U' ' || ch == U'\t' || ch == U'\r' || IsYamlBreak(ch);
}

bool IsPrintableUnicode(char32_t ch) {
  return (ch == 0x85 || (ch >= 0xA0 && ch <= 0xD7FF) || (ch >= 0xE000 && ch <= 0xFFFD) ||
          (ch >= 0x10000 && ch <= 0x10FFFF)) &&
         ch != 0xFEFF;
}

bool Contains(std::u32string_view set, char32_t ch) {
  return set.find(ch) != std::u32string_view::npos;
}

}  // namespace

bool IsYamlBreak(char32_t ch) { return ch == U'\n' || ch == 0x85 || ch == 0x2028 || ch == 0x2029; }

ScalarAnalysis AnalyzeScalar(std::u32string_view s) {
  ScalarAnalysis a;
  if (s.empty()) {
    a.empty = true;
    return a;
  }
  bool block_indicators = false;
  bool line_breaks = false;
  bool special_characters = false;
  bool leading_space = false;
  bool leading_break = false;
  bool trailing_space = false;
  bool trailing_break = false;
  bool break_space = false;
  bool space_break = false;

  if (s.starts_with(U"---") || s.starts_with(U"..."))
    block_indicators = true;

  bool preceded_by_whitespace = true;
  bool followed_by_whitespace = s.size() == 1 || IsBlankOrBreak(s[1]);
  bool previous_space = false;
  bool previous_break = false;
  for (size_t index = 0; index < s.size(); ++index) {
    const char32_t ch = s[index];
    if (index == 0) {
      if (Contains(U"#,[]{}&*!|>'\"%@`", ch))
        block_indicators = true;
      if ((ch == U'?' || ch == U':') && followed_by_whitespace)
        block_indicators = true;
      if (ch == U'-' && followed_by_whitespace)
        block_indicators = true;
    } else {
      if (ch == U':' && followed_by_whitespace)
        block_indicators = true;
      if (ch == U'#' && preceded_by_whitespace)
        block_indicators = true;
    }
    if (IsYamlBreak(ch))
      line_breaks = true;
    if (!(ch == U'\n' || (ch >= 0x20 && ch <= 0x7E)) && !IsPrintableUnicode(ch)) {
      special_characters = true;
    }
    if (ch == U' ') {
      if (index == 0)
        leading_space = true;
      if (index == s.size() - 1)
        trailing_space = true;
      if (previous_break)
        break_space = true;
      previous_space = true;
      previous_break = false;
    } else if (IsYamlBreak(ch)) {
      if (index == 0)
        leading_break = true;
      if (index == s.size() - 1)
        trailing_break = true;
      if (previous_space)
        space_break = true;
      previous_space = false;
      previous_break = true;
    } else {
      previous_space = false;
      previous_break = false;
    }
    preceded_by_whitespace = IsBlankOrBreak(ch);
    followed_by_whitespace = index + 2 >= s.size() || IsBlankOrBreak(s[index + 2]);
  }

  if (leading_space || leading_break || trailing_space || trailing_break) {
    a.allow_block_plain = false;
  }
  if (break_space)
    a.allow_block_plain = a.allow_single_quoted = false;
  if (special_characters || space_break)
    a.allow_block_plain = a.allow_single_quoted = false;
  if (line_breaks)
    a.allow_block_plain = false;
  if (block_indicators)
    a.allow_block_plain = false;
  a.multiline = line_breaks;
  return a;
}

ScalarStyle ChooseScalarStyle(std::u32string_view text, const ScalarAnalysis& a, bool implicit,
                              bool simple_key) {
  if (implicit && !(simple_key && (a.empty || a.multiline)) && a.allow_block_plain) {
    return ScalarStyle::kPlain;
  }
  if (text.find(U'\'') != std::u32string_view::npos ||
      text.find(U'\n') != std::u32string_view::npos) {
    return ScalarStyle::kDouble;
  }
  if (a.allow_single_quoted && !(simple_key && a.multiline))
    return ScalarStyle::kSingle;
  return ScalarStyle::kDouble;
}

}  // namespace conveyor
