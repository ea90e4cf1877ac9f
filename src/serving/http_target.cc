#include "serving/http_target.h"

#include "common/strings.h"

namespace conveyor::serving {

Result<ParsedTarget> ParseTarget(std::string_view target) {
  ParsedTarget parsed;
  size_t question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  std::optional<std::string> path = PercentDecode(raw_path, /*plus_is_space=*/false);
  if (!path) {
    return Error(Code::kInvalid, "invalid percent-encoding in the path: \"{}\"", raw_path);
  }
  parsed.path = std::move(*path);
  if (question == std::string_view::npos) {
    return parsed;
  }
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    std::optional<std::string> key = PercentDecode(raw_key, /*plus_is_space=*/true);
    std::optional<std::string> value = PercentDecode(raw_value, /*plus_is_space=*/true);
    if (!key || !value) {
      return Error(Code::kInvalid, "invalid percent-encoding in the query: \"{}\"", pair);
    }
    parsed.query[std::move(*key)] = std::move(*value);
  }
  return parsed;
}

}  // namespace conveyor::serving
