// The entry point every fuzz target defines, as libFuzzer calls it: one input
// per call, any bytes, any length. A target must not crash, hang, leak or
// trip a sanitizer on any input; errors are answers, not failures.
//
// Built two ways (fuzz/CMakeLists.txt): against libFuzzer with clang
// (`make fuzz`), or against replay_main.cc, which runs the committed corpus
// and deterministic mutations of it (part of `make test`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace conveyor::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits `text` at its first '\n': the first line (a header value, a
// content type) and the rest (a body). No newline: all of it is the rest.
inline std::pair<std::string_view, std::string_view> FirstLine(std::string_view text) {
  const size_t newline = text.find('\n');
  if (newline == std::string_view::npos) {
    return {{}, text};
  }
  return {text.substr(0, newline), text.substr(newline + 1)};
}

}  // namespace conveyor::fuzz
