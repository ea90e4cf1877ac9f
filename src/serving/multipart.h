// A strict multipart/form-data parser (RFC 7578 over RFC 2046) for a
// complete request body, as an upload to /predict arrives.
//
// Accepted: the boundary from the Content-Type header, as a token or a
// quoted string (1..70 characters, RFC 2046 5.1.1); a preamble before the
// first delimiter and an epilogue after the closing one (both ignored);
// transport padding (spaces, tabs) after a delimiter; per part, header lines
// "Name: value" ended by CRLF, an empty line, then the body up to the CRLF
// before the next delimiter. Header names are case-insensitive.
// Required per part: Content-Disposition: form-data; name="..."
// (filename optional). Content-Type defaults to "text/plain" (RFC 7578 4.4).
// Rejected (kInvalid): bare LF line ends in the headers, folded (continued)
// header lines, a missing closing delimiter, an empty body, more parts than
// the cap.
//
// Cost: O(n) in the body size (each byte is examined a bounded number of
// times; the boundary is at most 70 characters). Never reads outside `body`.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor::serving {

struct MultipartLimits {
  size_t max_parts = 16;           // more parts is an error
  size_t max_header_bytes = 8192;  // per part, the header block including CRLFs
};

struct MultipartPart {
  std::string name;                     // Content-Disposition name
  std::optional<std::string> filename;  // Content-Disposition filename, when given
  std::string content_type;             // as sent, or "text/plain" when absent
  // The part's content: a view into the `body` passed to ParseMultipart,
  // valid as long as that buffer is.
  std::string_view body;
};

// The boundary parameter of a Content-Type header value such as
// `multipart/form-data; boundary="a b"`. kInvalid when the media type is not
// multipart/form-data or the boundary is missing, empty or too long.
Result<std::string> MultipartBoundary(std::string_view content_type);

// Parses `body` sent with `content_type`. Errors (kInvalid) name the part
// (1-based) where one is at fault, e.g.
// "multipart part 2: missing Content-Disposition header".
Result<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                  std::string_view body,
                                                  const MultipartLimits& limits = {});

// Splits a header value `type; k=v; k2="v 2"` into its first item (lower
// case, trimmed) and its parameters (keys lower case, quoted values
// unescaped). kInvalid for a parameter without '=' or an unterminated quote.
struct HeaderValue {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;

  // The value of parameter `key` (lower case), if present.
  std::optional<std::string> Param(std::string_view key) const;
};
Result<HeaderValue> ParseHeaderValue(std::string_view value);

}  // namespace conveyor::serving
