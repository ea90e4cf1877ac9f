// Appending JSON text to a string without building a document first: for
// responses and log lines written on every request, where a DOM (nlohmann)
// costs more allocations than the text itself.
//
//   std::string out = "{\"label\":";
//   AppendJsonString(out, label);
//   out += ",\"p\":";
//   AppendJsonNumber(out, 0.25F);
//
// Strings: quotes, backslashes and control characters are escaped; bytes
// that are not valid UTF-8 become U+FFFD, one per byte, so client-supplied
// text (paths, ids) can never break the document or the line.
// Numbers: the shortest text that reads back as the same float or double;
// NaN and infinities, which JSON cannot express, are written as null.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace conveyor {

void AppendJsonString(std::string& out, std::string_view text);
void AppendJsonNumber(std::string& out, float value);
void AppendJsonNumber(std::string& out, double value);
void AppendJsonNumber(std::string& out, int64_t value);
void AppendJsonNumber(std::string& out, uint64_t value);

}  // namespace conveyor
