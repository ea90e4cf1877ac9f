#include "serving/openmetrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <optional>
#include <utility>

namespace conveyor::serving {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr std::string_view kTotal = "_total";

// --- Numbers -----------------------------------------------------------

std::optional<std::string_view> NonFinite(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  return std::nullopt;
}

// The canonical rendering of `le` and `quantile` values: what Go's
// strconv.FormatFloat(value, 'g', -1, 64) prints (the shortest digits that
// read back exactly, in exponent form when the decimal exponent is below -4
// or at least 6, the exponent with two digits at least), with ".0" added when
// that has neither a point nor an exponent.
std::string CanonicalNumber(double value) {
  if (auto special = NonFinite(value))
    return std::string(*special);
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  const std::string_view scientific(buffer, static_cast<size_t>(result.ptr - buffer));
  // scientific is [-]d[.ddd]e(+|-)dd: split it into sign, digits, exponent.
  const size_t e = scientific.find('e');
  std::string_view mantissa = scientific.substr(0, e);
  std::string out;
  if (mantissa.front() == '-') {
    out = "-";
    mantissa.remove_prefix(1);
  }
  std::string digits(1, mantissa.front());
  if (mantissa.size() > 2)
    digits.append(mantissa.substr(2));  // after "d."
  const int exponent = std::atoi(std::string(scientific.substr(e + 1)).c_str());

  if (exponent < -4 || exponent >= 6) {
    out += digits.front();
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    const int magnitude = std::abs(exponent);
    out += exponent < 0 ? "e-" : "e+";
    if (magnitude < 10)
      out += '0';
    out += std::to_string(magnitude);
    return out;
  }
  if (exponent < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exponent - 1), '0');
    out += digits;
    return out;
  }
  const auto integer_digits = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= integer_digits) {
    out += digits;
    out.append(integer_digits - digits.size(), '0');
    out += ".0";
  } else {
    out.append(digits, 0, integer_digits);
    out += '.';
    out.append(digits, integer_digits);
  }
  return out;
}

// A sample value: an integer when it is one that a double holds exactly,
// otherwise the shortest text that reads back as `value`.
std::string SampleValue(double value) {
  if (auto special = NonFinite(value))
    return std::string(*special);
  char buffer[64];
  std::to_chars_result result;
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (value == std::trunc(value) && std::fabs(value) < kExactIntegers)
    result = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<int64_t>(value));
  else
    result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// Milliseconds since the epoch as seconds: "1520879607.789", "12.5", "3".
std::string Timestamp(int64_t milliseconds) {
  const uint64_t magnitude = milliseconds < 0 ? 0 - static_cast<uint64_t>(milliseconds)
                                              : static_cast<uint64_t>(milliseconds);
  std::string out = milliseconds < 0 ? "-" : "";
  out += std::to_string(magnitude / 1000);
  uint64_t fraction = magnitude % 1000;
  if (fraction != 0) {
    std::string decimals = std::to_string(fraction);
    decimals.insert(0, 3 - decimals.size(), '0');
    decimals.erase(decimals.find_last_not_of('0') + 1);
    out += '.';
    out += decimals;
  }
  return out;
}

// --- Text --------------------------------------------------------------

// Backslash, double quote and line feed escaped: label values, HELP text.
void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      break;
  }
  return "unknown";
}

// The lines of one family, appended to an exposition.
class FamilyWriter {
 public:
  FamilyWriter(std::string& out, std::string_view name) : out_(out), name_(name) {}

  // One sample line of `metric`: name_ + suffix, its labels plus `extra`
  // (an `le` or `quantile`, already rendered), the value, its timestamp.
  void Sample(const ClientMetric& metric, std::string_view suffix, const std::string& value,
              std::string_view extra_name = {}, std::string_view extra_value = {}) {
    out_ += name_;
    out_ += suffix;
    if (!metric.label.empty() || !extra_name.empty()) {
      out_ += '{';
      bool first = true;
      auto label = [&](std::string_view name, std::string_view label_value) {
        if (!first)
          out_ += ',';
        first = false;
        out_ += name;
        out_ += "=\"";
        AppendEscaped(out_, label_value);
        out_ += '"';
      };
      for (const ClientMetric::Label& each : metric.label)
        label(each.name, each.value);
      if (!extra_name.empty())
        label(extra_name, extra_value);
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    if (metric.timestamp_ms != 0) {
      out_ += ' ';
      out_ += Timestamp(metric.timestamp_ms);
    }
    out_ += '\n';
  }

  void Histogram(const ClientMetric& metric) {
    const ClientMetric::Histogram& histogram = metric.histogram;
    bool has_inf = false;
    bool has_negative = false;
    for (const ClientMetric::Bucket& bucket : histogram.bucket) {
      has_inf = has_inf || bucket.upper_bound == std::numeric_limits<double>::infinity();
      has_negative = has_negative || bucket.upper_bound < 0;
      Sample(metric, "_bucket", std::to_string(bucket.cumulative_count), "le",
             CanonicalNumber(bucket.upper_bound));
    }
    if (!has_inf)
      Sample(metric, "_bucket", std::to_string(histogram.sample_count), "le", "+Inf");
    if (has_negative)
      return;  // no _sum with negative buckets, and no _count without _sum
    Sample(metric, "_count", std::to_string(histogram.sample_count));
    Sample(metric, "_sum", SampleValue(histogram.sample_sum));
  }

  void Summary(const ClientMetric& metric) {
    for (const ClientMetric::Quantile& quantile : metric.summary.quantile) {
      Sample(metric, "", SampleValue(quantile.value), "quantile",
             CanonicalNumber(quantile.quantile));
    }
    Sample(metric, "_count", std::to_string(metric.summary.sample_count));
    Sample(metric, "_sum", SampleValue(metric.summary.sample_sum));
  }

 private:
  std::string& out_;
  const std::string_view name_;
};

// --- Accept ------------------------------------------------------------

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back()))
    text.remove_suffix(1);
  return text;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

// `text` split at each `separator` outside a quoted string ("..." with
// backslash escapes), pieces trimmed.
std::vector<std::string_view> SplitOutsideQuotes(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (quoted && text[i] == '\\') {
      ++i;  // the escaped character, whatever it is
    } else if (text[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && text[i] == separator) {
      pieces.push_back(Trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  pieces.push_back(Trim(text.substr(std::min(start, text.size()))));
  return pieces;
}

// A parameter value with its quotes and escapes removed.
std::string Unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"')
    return std::string(value);
  std::string out;
  for (size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size())
      ++i;
    out += value[i];
  }
  return out;
}

// An HTTP qvalue, tolerantly: any decimal number in [0, 1].
std::optional<double> ParseQ(std::string_view text) {
  double q = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), q);
  if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size() ||
      !(q >= 0 && q <= 1))
    return std::nullopt;
  return q;
}

struct MediaRange {
  std::string type;     // lower case; "*" for any
  std::string subtype;  // lower case; "*" for any
  std::optional<std::string> version;
  std::optional<std::string> charset;  // lower case
  double q = 1;
};

// One element of an Accept header, or nullopt when it is malformed.
std::optional<MediaRange> ParseMediaRange(std::string_view element) {
  const std::vector<std::string_view> parts = SplitOutsideQuotes(element, ';');
  const std::string_view media_type = parts.front();
  const size_t slash = media_type.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  MediaRange range;
  range.type = Lower(Trim(media_type.substr(0, slash)));
  range.subtype = Lower(Trim(media_type.substr(slash + 1)));
  auto is_token = [](const std::string& text) {
    return !text.empty() && std::none_of(text.begin(), text.end(), [](char c) {
      return IsSpace(c) || c == '/' || c == '"' || c == '=';
    });
  };
  if (!is_token(range.type) || !is_token(range.subtype) ||
      (range.type == "*" && range.subtype != "*"))
    return std::nullopt;
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t equals = parts[i].find('=');
    if (equals == std::string_view::npos)
      continue;  // a bare word is no parameter we know; ignore it
    const std::string name = Lower(Trim(parts[i].substr(0, equals)));
    const std::string value = Unquote(Trim(parts[i].substr(equals + 1)));
    if (name == "q") {
      std::optional<double> q = ParseQ(value);
      if (!q)
        return std::nullopt;
      range.q = *q;
      break;  // what follows q are accept extensions, not media type parameters
    }
    if (name == "version")
      range.version = value;
    else if (name == "charset")
      range.charset = Lower(value);
  }
  return range;
}

// How closely a media range names a format: the weight of the closest kind
// of match wins (RFC 9110: "the most specific reference has precedence").
enum class Match { kNone, kAnyType, kAnySubtype, kExact };

struct Weight {
  Match match = Match::kNone;
  double q = 0;

  void Add(Match how, double range_q) {
    if (how == Match::kNone || how < match)
      return;
    q = how > match ? range_q : std::max(q, range_q);
    match = how;
  }
};

// How `range` matches the format `type`/`subtype` whose acceptable
// versions are `versions`.
Match MatchFormat(const MediaRange& range, std::string_view type, std::string_view subtype,
                  std::initializer_list<std::string_view> versions) {
  if (range.type == "*")
    return Match::kAnyType;
  if (range.type != type)
    return Match::kNone;
  if (range.subtype == "*")
    return Match::kAnySubtype;
  if (range.subtype != subtype)
    return Match::kNone;
  if (range.charset && *range.charset != "utf-8")
    return Match::kNone;
  if (range.version &&
      std::find(versions.begin(), versions.end(), *range.version) == versions.end())
    return Match::kNone;
  return Match::kExact;
}

}  // namespace

std::string SerializeOpenMetrics(const std::vector<MetricFamily>& families) {
  std::string out;
  for (const MetricFamily& family : families) {
    std::string_view name = family.name;
    if (family.type == MetricType::Counter && name.size() > kTotal.size() && name.ends_with(kTotal))
      name.remove_suffix(kTotal.size());
    out += "# TYPE ";
    out += name;
    out += ' ';
    out += TypeName(family.type);
    out += '\n';
    if (!family.help.empty()) {
      out += "# HELP ";
      out += name;
      out += ' ';
      AppendEscaped(out, family.help);
      out += '\n';
    }
    FamilyWriter writer(out, name);
    for (const ClientMetric& metric : family.metric) {
      switch (family.type) {
        case MetricType::Counter:
          writer.Sample(metric, kTotal, SampleValue(metric.counter.value));
          break;
        case MetricType::Gauge:
          writer.Sample(metric, "", SampleValue(metric.gauge.value));
          break;
        case MetricType::Untyped:
          writer.Sample(metric, "", SampleValue(metric.untyped.value));
          break;
        case MetricType::Histogram:
          writer.Histogram(metric);
          break;
        case MetricType::Summary:
          writer.Summary(metric);
          break;
      }
    }
  }
  out += "# EOF\n";
  return out;
}

MetricsFormat NegotiateMetricsFormat(std::string_view accept_header) {
  Weight openmetrics;
  Weight text;
  for (std::string_view element : SplitOutsideQuotes(accept_header, ',')) {
    if (element.empty())
      continue;
    std::optional<MediaRange> range = ParseMediaRange(element);
    if (!range)
      continue;
    openmetrics.Add(MatchFormat(*range, "application", "openmetrics-text", {"1.0.0", "0.0.1"}),
                    range->q);
    text.Add(MatchFormat(*range, "text", "plain", {"0.0.4"}), range->q);
  }
  const bool preferred =
      openmetrics.q > text.q || (openmetrics.q == text.q && openmetrics.match == Match::kExact &&
                                 text.match != Match::kExact);
  return openmetrics.q > 0 && preferred ? MetricsFormat::kOpenMetrics
                                        : MetricsFormat::kPrometheusText;
}

}  // namespace conveyor::serving
