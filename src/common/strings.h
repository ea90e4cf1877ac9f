// Small text helpers shared by the parsers (INI files, AWS config files,
// multipart headers).
//
// Thread safety: pure functions.
#pragma once

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

}  // namespace conveyor
