// Splitting and percent-decoding a request target ("/a%20b?x=1&y=%2F").
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/percent_encoding.h"
#include "common/status.h"

namespace conveyor::serving {

// PercentDecode (common/percent_encoding.h) is used here too.
using conveyor::PercentDecode;

struct ParsedTarget {
  std::string path;                          // decoded, without the query
  std::map<std::string, std::string> query;  // decoded; the last of a repeated key wins
};

// Splits `target` at the first '?', decodes the path and the query's
// key=value pairs ("k" alone means an empty value; empty pairs are skipped).
// A kInvalid error names the part at fault:
// "invalid percent-encoding in the query: \"%zz\"".
Result<ParsedTarget> ParseTarget(std::string_view target);

}  // namespace conveyor::serving
