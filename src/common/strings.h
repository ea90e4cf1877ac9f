// Small text helpers shared by the parsers (INI files, AWS config files,
// multipart headers) and the HTTP code.
//
// Thread safety: pure functions.
#pragma once

#include <cctype>
#include <string_view>

namespace conveyor {

// `text` without the leading and trailing characters found in `blanks`.
inline std::string_view TrimBlanks(std::string_view text, std::string_view blanks = " \t\r") {
  const size_t begin = text.find_first_not_of(blanks);
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(blanks) - begin + 1);
}

// ASCII case-insensitive equality (HTTP header names, media types).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// The value of one hexadecimal digit (either case), or -1 for any other
// character.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

}  // namespace conveyor
