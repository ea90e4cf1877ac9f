// Percent-decoding (RFC 3986 section 2.1) for request targets and for the
// userinfo of remote and database URLs.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace conveyor {

// Decodes %XX escapes; with `plus_is_space` (query strings), '+' becomes ' '.
// Returns nullopt on a malformed escape ("%", "%2", "%zz").
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

// PercentDecode, or `text` as it is when it holds a malformed escape (a raw
// '%' in a password written without encoding keeps working).
std::string PercentDecodeOrKeep(std::string_view text);

}  // namespace conveyor
