#include "pipeline/yaml_scalar.h"

#include <cctype>
#include <cstddef>

namespace conveyor {
namespace {

// ruamel lays its patterns out for re.X; each matcher below is one of them
// with the blanks removed, quoted above the function.

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// How many characters from s[i] satisfy `pred` or are '_'.
template <typename Pred>
size_t Span(std::string_view s, size_t i, Pred pred) {
  size_t n = 0;
  while (i + n < s.size() && (pred(s[i + n]) || s[i + n] == '_'))
    ++n;
  return n;
}

// true|True|TRUE|false|False|FALSE
bool IsBoolText(std::string_view s) {
  return s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE";
}

// ~|null|Null|NULL|
bool IsNullText(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// [-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?[0-9_]+ | [-+]?0x[0-9a-fA-F_]+
bool IsIntText(std::string_view s) {
  const size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  const std::string_view body = s.substr(sign);
  auto all = [](std::string_view t, auto pred) {
    return !t.empty() && Span(t, 0, pred) == t.size();
  };
  if (body.size() > 2 && body[0] == '0' && body[1] == 'b')
    return all(body.substr(2), [](char c) { return c == '0' || c == '1'; });
  if (body.size() > 2 && body[0] == '0' && body[1] == 'o')
    return all(body.substr(2), [](char c) { return c >= '0' && c <= '7'; });
  if (body.size() > 2 && body[0] == '0' && body[1] == 'x')
    return all(body.substr(2), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  return all(body, IsDigit);
}

// Exponent "[eE][-+]?[0-9]+" (sign required when `sign_required`) at s[i];
// returns its length, or 0 when absent or malformed.
size_t ExponentLength(std::string_view s, size_t i, bool sign_required) {
  if (i >= s.size() || (s[i] != 'e' && s[i] != 'E'))
    return 0;
  size_t j = i + 1;
  if (j < s.size() && (s[j] == '-' || s[j] == '+')) {
    ++j;
  } else if (sign_required) {
    return 0;
  }
  size_t digits = 0;
  while (j + digits < s.size() && IsDigit(s[j + digits]))
    ++digits;
  return digits == 0 ? 0 : j + digits - i;
}

// Whether an optional exponent at s[end] runs exactly to the end of `s`.
bool EndsWithOptionalExponent(std::string_view s, size_t end, bool sign_required) {
  if (end == s.size())
    return true;
  const size_t e = ExponentLength(s, end, sign_required);
  return e != 0 && end + e == s.size();
}

// [-+]?([0-9][0-9_]*)\.[0-9_]*([eE][-+]?[0-9]+)?
// | [-+]?([0-9][0-9_]*)([eE][-+]?[0-9]+)
// | [-+]?\.[0-9_]+([eE][-+][0-9]+)?
// | [-+]?\.(inf|Inf|INF)
// | \.(nan|NaN|NAN)
bool IsFloatText(std::string_view s) {
  if (s == ".nan" || s == ".NaN" || s == ".NAN")
    return true;
  const size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  const std::string_view body = s.substr(sign);
  if (body == ".inf" || body == ".Inf" || body == ".INF")
    return true;
  if (body.empty())
    return false;
  if (body[0] == '.') {
    const size_t n = Span(body, 1, IsDigit);
    return n != 0 && EndsWithOptionalExponent(body, 1 + n, /*sign_required=*/true);
  }
  if (!IsDigit(body[0]))
    return false;
  size_t end = Span(body, 0, IsDigit);
  if (end < body.size() && body[end] == '.') {
    end += 1 + Span(body, end + 1, IsDigit);
    return EndsWithOptionalExponent(body, end, /*sign_required=*/false);
  }
  const size_t e = ExponentLength(body, end, /*sign_required=*/false);
  return e != 0 && end + e == body.size();
}

// A cursor over `s` for the timestamp pattern.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  bool AtEnd() const { return i_ == s_.size(); }
  // Consumes between `min` and `max` digits, as many as there are.
  bool Digits(size_t min, size_t max) {
    size_t n = 0;
    while (n < max && i_ + n < s_.size() && IsDigit(s_[i_ + n]))
      ++n;
    i_ += n;
    return n >= min;
  }
  // Consumes one character of `set`.
  bool OneOf(std::string_view set) {
    if (AtEnd() || set.find(s_[i_]) == std::string_view::npos)
      return false;
    ++i_;
    return true;
  }
  // Consumes characters of `set`; returns how many.
  size_t Many(std::string_view set) {
    size_t n = 0;
    while (OneOf(set))
      ++n;
    return n;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
// | [0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
//   ([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\.[0-9]*)?
//   ([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?
// Every optional digit is followed by a non-digit, so taking as many digits
// as allowed never has to back off.
bool IsTimestampText(std::string_view s) {
  Scanner in(s);
  if (!in.Digits(4, 4) || !in.OneOf("-") || !in.Digits(1, 2) || !in.OneOf("-") ||
      !in.Digits(1, 2)) {
    return false;
  }
  if (in.AtEnd())  // a date: the first alternative wants two-digit fields
    return s.size() == 10;
  if (!in.OneOf("Tt") && in.Many(" \t") == 0)
    return false;
  if (!in.Digits(1, 2) || !in.OneOf(":") || !in.Digits(2, 2) || !in.OneOf(":") ||
      !in.Digits(2, 2)) {
    return false;
  }
  if (in.OneOf("."))
    in.Digits(0, std::string_view::npos);
  if (in.AtEnd())
    return true;
  in.Many(" \t");
  if (!in.OneOf("Z")) {
    if (!in.OneOf("-+") || !in.Digits(1, 2))
      return false;
    if (in.OneOf(":") && !in.Digits(2, 2))
      return false;
  }
  return in.AtEnd();
}

}  // namespace

PlainScalarTag ResolvePlainScalar(std::string_view text) {
  // ruamel's implicit resolvers, in the order it tries them.
  struct Resolver {
    bool (*matches)(std::string_view);
    PlainScalarTag tag;
  };
  static constexpr Resolver kResolvers[] = {
      {IsBoolText, PlainScalarTag::kBool},
      {IsFloatText, PlainScalarTag::kFloat},
      {IsIntText, PlainScalarTag::kInt},
      {[](std::string_view s) { return s == "<<"; }, PlainScalarTag::kMerge},
      {IsNullText, PlainScalarTag::kNull},
      {IsTimestampText, PlainScalarTag::kTimestamp},
      {[](std::string_view s) { return s == "="; }, PlainScalarTag::kValue},
  };
  for (const Resolver& resolver : kResolvers) {
    if (resolver.matches(text))
      return resolver.tag;
  }
  return PlainScalarTag::kStr;
}

}  // namespace conveyor
