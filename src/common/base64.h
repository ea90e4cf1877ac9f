// Standard base64 (RFC 4648 section 4): the alphabet A-Z a-z 0-9 + /, with
// '=' padding.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace conveyor {

// `bytes` in base64, padded, on one line.
std::string EncodeBase64(std::string_view bytes);

// The bytes of `text`; '=' padding optional, whitespace skipped. kInvalid
// naming the offset of the first bad character, or "truncated base64".
Result<std::string> DecodeBase64(std::string_view text);

}  // namespace conveyor
