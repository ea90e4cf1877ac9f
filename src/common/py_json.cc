#include "common/py_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace conveyor {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU16Escape(uint32_t unit, std::string& out) {
  out += "\\u";
  out += kHex[(unit >> 12) & 0xf];
  out += kHex[(unit >> 8) & 0xf];
  out += kHex[(unit >> 4) & 0xf];
  out += kHex[unit & 0xf];
}

// Decodes one UTF-8 sequence starting at `s[i]`; returns its length, or 0 if
// it is not valid (overlong, surrogate, beyond U+10FFFF, truncated).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t& code_point) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  size_t len = 0;
  uint32_t min = 0;
  if (b0 < 0x80) {
    code_point = b0;
    return 1;
  }
  if ((b0 & 0xe0) == 0xc0) {
    len = 2;
    code_point = b0 & 0x1f;
    min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3;
    code_point = b0 & 0x0f;
    min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4;
    code_point = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size())
    return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char b = byte(i + k);
    if ((b & 0xc0) != 0x80)
      return 0;
    code_point = (code_point << 6) | (b & 0x3f);
  }
  if (code_point < min || code_point > 0x10ffff)
    return 0;
  if (code_point >= 0xd800 && code_point <= 0xdfff)
    return 0;
  return len;
}

template <typename Json>
Status Dump(const Json& value, std::string& out) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::null:
      out += "null";
      return OkStatus();
    case Type::boolean:
      out += value.template get<bool>() ? "true" : "false";
      return OkStatus();
    case Type::number_integer:
      out += std::to_string(value.template get<int64_t>());
      return OkStatus();
    case Type::number_unsigned:
      out += std::to_string(value.template get<uint64_t>());
      return OkStatus();
    case Type::number_float: {
      double d = value.template get<double>();
      if (std::isnan(d)) {
        out += "NaN";
      } else if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
      } else {
        out += PyFloatRepr(d);
      }
      return OkStatus();
    }
    case Type::string:
      return AppendPyJsonString(value.template get_ref<const std::string&>(), out);
    case Type::array: {
      out += '[';
      bool first = true;
      for (const Json& item : value) {
        if (!first)
          out += ", ";
        first = false;
        RETURN_IF_ERROR(Dump(item, out));
      }
      out += ']';
      return OkStatus();
    }
    case Type::object: {
      std::vector<std::pair<const std::string*, const Json*>> items;
      items.reserve(value.size());
      for (auto it = value.begin(); it != value.end(); ++it) {
        items.emplace_back(&it.key(), &it.value());
      }
      std::sort(items.begin(), items.end(),
                [](const auto& a, const auto& b) { return *a.first < *b.first; });
      out += '{';
      bool first = true;
      for (const auto& [key, item] : items) {
        if (!first)
          out += ", ";
        first = false;
        RETURN_IF_ERROR(AppendPyJsonString(*key, out));
        out += ": ";
        RETURN_IF_ERROR(Dump(*item, out));
      }
      out += '}';
      return OkStatus();
    }
    case Type::binary:
      return Error(Code::kInvalid, "cannot write a binary value as JSON");
    case Type::discarded:
      break;
  }
  return Error(Code::kInvalid, "cannot write a discarded value as JSON");
}

template <typename Json>
Result<std::string> DumpToString(const Json& value) {
  std::string out;
  RETURN_IF_ERROR(Dump(value, out));
  return out;
}

}  // namespace

Status AppendPyJsonString(std::string_view utf8, std::string& out) {
  out += '"';
  size_t i = 0;
  while (i < utf8.size()) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      case '\b':
        out += "\\b";
        ++i;
        continue;
      case '\f':
        out += "\\f";
        ++i;
        continue;
      default:
        break;
    }
    uint32_t cp = 0;
    size_t len = DecodeUtf8(utf8, i, cp);
    if (len == 0) {
      return Error(Code::kInvalid, "invalid UTF-8 at byte {} of \"{}\"", i,
                   std::string(utf8.substr(0, i)));
    }
    if (cp > 0xffff) {
      uint32_t v = cp - 0x10000;
      AppendU16Escape(0xd800 | (v >> 10), out);
      AppendU16Escape(0xdc00 | (v & 0x3ff), out);
    } else {
      AppendU16Escape(cp, out);
    }
    i += len;
  }
  out += '"';
  return OkStatus();
}

std::string PyFloatRepr(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  // Shortest round-trip digits in scientific form: "-d.ddde+XX".
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  if (ec != std::errc())
    return "nan";  // cannot happen with a 64-byte buffer
  std::string_view sci(buf, static_cast<size_t>(end - buf));
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char ch : sci.substr(0, e)) {
    if (ch != '.')
      digits += ch;
  }
  int exponent = 0;
  std::string_view exp_text = sci.substr(e + 1);
  if (exp_text.front() == '+')
    exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  // CPython (Python/pystrtod.c, format_float_short with 'r'): the decimal
  // point sits after `decpt` digits; scientific notation when decpt <= -4 or
  // decpt > 16, otherwise fixed notation with at least one fractional digit.
  int decpt = exponent + 1;
  auto ndigits = static_cast<int>(digits.size());
  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (ndigits > 1) {
      out += '.';
      out.append(digits, 1);
    }
    int shown = decpt - 1;
    out += 'e';
    out += shown < 0 ? '-' : '+';
    int magnitude = shown < 0 ? -shown : shown;
    if (magnitude < 10)
      out += '0';
    out += std::to_string(magnitude);
  } else if (decpt <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-decpt), '0');
    out += digits;
  } else if (decpt >= ndigits) {
    out += digits;
    out.append(static_cast<size_t>(decpt - ndigits), '0');
    out += ".0";
  } else {
    out.append(digits, 0, static_cast<size_t>(decpt));
    out += '.';
    out.append(digits, static_cast<size_t>(decpt));
  }
  return out;
}

Result<std::string> PyJsonDumps(const nlohmann::json& value) { return DumpToString(value); }

Result<std::string> PyJsonDumps(const nlohmann::ordered_json& value) { return DumpToString(value); }

}  // namespace conveyor
