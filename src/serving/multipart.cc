#include "serving/multipart.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace conveyor::serving {
namespace {

constexpr size_t kMaxBoundary = 70;  // RFC 2046 5.1.1

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) { return TrimBlanks(s, " \t"); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Skips spaces and tabs from `pos`, then expects CRLF; returns the position
// after it, or npos.
size_t SkipPaddingAndCrlf(std::string_view body, size_t pos) {
  while (pos < body.size() && IsSpace(body[pos])) {
    ++pos;
  }
  if (body.substr(pos, 2) != "\r\n") {
    return std::string_view::npos;
  }
  return pos + 2;
}

Status PartError(size_t part, std::string_view what) {
  return Error(Code::kInvalid, "multipart part {}: {}", part, what);
}

// Parses the header block of part `index` (without its final empty line).
Status ParsePartHeaders(std::string_view block, size_t index, MultipartPart& part) {
  bool have_disposition = false;
  part.content_type = "text/plain";
  while (!block.empty()) {
    const size_t end = block.find("\r\n");
    const std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + 2);
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
      return PartError(index, "header lines must end with CRLF");
    }
    if (!line.empty() && IsSpace(line.front())) {
      return PartError(index, "folded header lines are not allowed");
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return PartError(index,
                       fmt::format("malformed header line '{}' (expected 'Name: value')", line));
    }
    const std::string name = Lower(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      Result<HeaderValue> parsed = ParseHeaderValue(value);
      if (!parsed.ok()) {
        return PartError(index, fmt::format("Content-Disposition: {}", parsed.status().message()));
      }
      if (parsed->type != "form-data") {
        return PartError(
            index, fmt::format("Content-Disposition is '{}', expected form-data", parsed->type));
      }
      std::optional<std::string> field = parsed->Param("name");
      if (!field.has_value()) {
        return PartError(index, "Content-Disposition has no name parameter");
      }
      part.name = std::move(*field);
      part.filename = parsed->Param("filename");
      have_disposition = true;
    } else if (name == "content-type") {
      if (value.empty()) {
        return PartError(index, "empty Content-Type header");
      }
      part.content_type = std::string(value);
    }
  }
  if (!have_disposition) {
    return PartError(index, "missing Content-Disposition header");
  }
  return OkStatus();
}

}  // namespace

std::optional<std::string> HeaderValue::Param(std::string_view key) const {
  for (const auto& [k, v] : params) {
    if (k == key) {
      return v;
    }
  }
  return std::nullopt;
}

Result<HeaderValue> ParseHeaderValue(std::string_view value) {
  HeaderValue out;
  size_t pos = value.find(';');
  out.type = Lower(Trim(value.substr(0, pos)));
  while (pos != std::string_view::npos && pos < value.size()) {
    ++pos;  // past ';'
    while (pos < value.size() && IsSpace(value[pos])) {
      ++pos;
    }
    if (pos == value.size()) {
      break;  // a trailing ';'
    }
    const size_t eq = value.find('=', pos);
    const size_t semi = value.find(';', pos);
    if (eq == std::string_view::npos || (semi != std::string_view::npos && semi < eq)) {
      return Error(Code::kInvalid, "parameter '{}' has no value",
                   Trim(value.substr(pos, semi == std::string_view::npos ? semi : semi - pos)));
    }
    std::string key = Lower(Trim(value.substr(pos, eq - pos)));
    pos = eq + 1;
    while (pos < value.size() && IsSpace(value[pos])) {
      ++pos;
    }
    std::string param;
    if (pos < value.size() && value[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < value.size()) {
        const char c = value[pos++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && pos < value.size()) {
          param += value[pos++];
        } else {
          param += c;
        }
      }
      if (!closed) {
        return Error(Code::kInvalid, "parameter '{}' has an unterminated quoted value", key);
      }
      while (pos < value.size() && IsSpace(value[pos])) {
        ++pos;
      }
      if (pos < value.size() && value[pos] != ';') {
        return Error(Code::kInvalid, "unexpected text after the quoted value of '{}'", key);
      }
    } else {
      const size_t end = value.find(';', pos);
      param = std::string(Trim(value.substr(pos, end == std::string_view::npos ? end : end - pos)));
      pos = end;
    }
    out.params.emplace_back(std::move(key), std::move(param));
  }
  return out;
}

Result<std::string> MultipartBoundary(std::string_view content_type) {
  Result<HeaderValue> parsed = ParseHeaderValue(content_type);
  if (!parsed.ok()) {
    return parsed.status().WithContext("Content-Type");
  }
  if (parsed->type != "multipart/form-data") {
    return Error(Code::kInvalid, "Content-Type is '{}', expected multipart/form-data",
                 parsed->type);
  }
  std::optional<std::string> boundary = parsed->Param("boundary");
  if (!boundary.has_value()) {
    return Error(Code::kInvalid, "multipart/form-data without a boundary parameter");
  }
  if (boundary->empty() || boundary->size() > kMaxBoundary) {
    return Error(Code::kInvalid, "multipart boundary must have 1 to {} characters, got {}",
                 kMaxBoundary, boundary->size());
  }
  return std::move(*boundary);
}

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                  std::string_view body,
                                                  const MultipartLimits& limits) {
  ASSIGN_OR_RETURN(const std::string boundary, MultipartBoundary(content_type));
  if (body.empty()) {
    return Error(Code::kInvalid, "empty multipart body");
  }
  const std::string dash_boundary = "--" + boundary;
  const std::string delimiter = "\r\n" + dash_boundary;

  // The first delimiter: at the very start, or after a preamble and CRLF.
  size_t pos = 0;
  if (body.substr(0, dash_boundary.size()) == dash_boundary) {
    pos = dash_boundary.size();
  } else {
    const size_t found = body.find(delimiter);
    if (found == std::string_view::npos) {
      return Error(Code::kInvalid, "multipart body has no boundary line '{}'", dash_boundary);
    }
    pos = found + delimiter.size();
  }

  std::vector<MultipartPart> parts;
  while (true) {
    // `pos` is just after a delimiter.
    if (body.substr(pos, 2) == "--") {
      return parts;  // the closing delimiter; the rest is the epilogue
    }
    pos = SkipPaddingAndCrlf(body, pos);
    if (pos == std::string_view::npos) {
      return Error(Code::kInvalid, "multipart boundary line '{}' is not followed by CRLF",
                   dash_boundary);
    }
    if (pos == body.size()) {
      return Error(Code::kInvalid, "multipart body has no closing boundary '{}--'", dash_boundary);
    }
    if (parts.size() == limits.max_parts) {
      return Error(Code::kInvalid, "multipart body has more than {} parts", limits.max_parts);
    }
    const size_t index = parts.size() + 1;
    MultipartPart part;
    // Headers: up to the first empty line (which may come at once).
    size_t headers_end = 0;
    if (body.substr(pos, 2) == "\r\n") {
      headers_end = pos;
    } else {
      const size_t limit = std::min(body.size(), pos + limits.max_header_bytes);
      const size_t blank = body.substr(0, limit).find("\r\n\r\n", pos);
      if (blank == std::string_view::npos) {
        if (limit < body.size()) {
          return PartError(index,
                           fmt::format("headers longer than {} bytes", limits.max_header_bytes));
        }
        return PartError(index, "headers are not ended by an empty line");
      }
      headers_end = blank + 2;
    }
    const std::string_view block = body.substr(pos, headers_end > pos ? headers_end - pos - 2 : 0);
    RETURN_IF_ERROR(ParsePartHeaders(block, index, part));
    const size_t content = headers_end + 2;
    const size_t next = body.find(delimiter, content);
    if (next == std::string_view::npos) {
      return Error(Code::kInvalid, "multipart body has no closing boundary '{}--'", dash_boundary);
    }
    part.body = body.substr(content, next - content);
    parts.push_back(std::move(part));
    pos = next + delimiter.size();
  }
}

}  // namespace conveyor::serving
