// OpenMetrics 1.0 text exposition of prometheus-cpp metric families, and the
// Accept-header negotiation that decides when GET /metrics speaks it.
//
// prometheus-cpp 1.0.1 serialises the Prometheus text format 0.0.4 only
// (prometheus::TextSerializer). SerializeOpenMetrics writes the same
// families in OpenMetrics 1.0 text (the OpenMetrics specification,
// OpenObservability/OpenMetrics specification/OpenMetrics.md):
//
//   std::vector<prometheus::MetricFamily> families = registry.Collect();
//   if (NegotiateMetricsFormat(request.header("Accept")) == MetricsFormat::kOpenMetrics) {
//     response.content_type = std::string(kOpenMetricsType);
//     response.body = SerializeOpenMetrics(families);
//   }
//
// How each prometheus-cpp type is written (MetricFamily name `n`):
//   Counter    `# TYPE n' counter`, where n' is n without a trailing `_total`;
//              every sample is `n'_total`. A counter named without `_total`
//              (prometheus-cpp allows it) thus gains it on its samples, as
//              the Go and Python clients do: its series is `n` in 0.0.4 and
//              `n_total` in OpenMetrics. Ours all end in `_total`, so their
//              series are the same in both formats.
//   Gauge      `# TYPE n gauge`, samples `n`. A gauge named `*_info` (our
//              conveyor_model_info) stays a gauge: OpenMetrics' info type
//              would rename its samples and pin the value at 1.
//   Histogram  `n_bucket{...,le="b"}` per bucket, then `n_count`, `n_sum`.
//              A `le="+Inf"` bucket equal to the sample count is added when
//              the family has none. When a bound is negative, `_count` and
//              `_sum` are left out (the specification forbids a sum there,
//              and `_count` only comes with `_sum`).
//   Summary    `n{...,quantile="q"}` per quantile, then `n_count`, `n_sum`.
//   Untyped    `# TYPE n unknown`, samples `n`.
// No `# UNIT` lines (optional; a unit guessed from a name suffix could be
// wrong) and no `_created` samples (prometheus-cpp does not record them).
// `# HELP` is written when the help text is non-empty (an empty one means
// "no HELP" to OpenMetrics anyway). Families keep their order; metrics keep
// theirs; the text ends with `# EOF\n`.
//
// Numbers: `le` and `quantile` label values in the specification's canonical
// form (Go's shortest %g with ".0" added to integers: 0.0, 0.25, 1.0,
// 100000.0, 1e+06, 1e-05, +Inf). Sample values: integers below 2^53 without
// a decimal point ("17"), anything else in the shortest form that reads back
// exactly ("0.1", "1.6777216e+07"), and "+Inf", "-Inf", "NaN". A non-zero
// ClientMetric::timestamp_ms becomes a timestamp in seconds with up to three
// decimals ("1520879607.789"); 0 means none, as in prometheus-cpp.
//
// Escaping: in label values and HELP text, backslash, double quote and line
// feed become \\, \" and \n.
//
// Preconditions, as for prometheus::TextSerializer (nothing is checked, the
// families are written as they are): family names unique and valid metric
// names, also once the counter rule above removes or adds `_total`; label
// names valid and unique per metric, and never `le` on a histogram or
// `quantile` on a summary; histogram bounds strictly increasing and not
// NaN; counter values and histogram and summary counts and sums neither
// negative nor NaN; summary quantile values not negative (NaN is allowed:
// no observations). prometheus-cpp's own families and ours
// (histogram_family.h, process_metrics.h) meet them.
//
// Thread safety: both functions are pure; call them from any thread.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <string_view>
#include <vector>

namespace conveyor::serving {

// The Content-Type of an OpenMetrics 1.0 text exposition.
inline constexpr std::string_view kOpenMetricsType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

// `families` as an OpenMetrics 1.0 text exposition, `# EOF\n` included.
std::string SerializeOpenMetrics(const std::vector<prometheus::MetricFamily>& families);

// The two formats GET /metrics can answer in.
enum class MetricsFormat {
  kPrometheusText,  // text format 0.0.4 (kPrometheusTextType in metrics.h)
  kOpenMetrics,     // OpenMetrics 1.0 text (kOpenMetricsType)
};

// The format to answer a request whose Accept header is `accept_header`
// ("" when it has none), following HTTP's content negotiation (RFC 9110
// section 12.5.1):
//   - The header is a comma-separated list of media ranges, each with
//     `;`-separated parameters and an optional q weight (default 1). Types,
//     subtypes and parameter names are case-insensitive; whitespace around
//     separators is ignored; parameter values may be quoted.
//   - OpenMetrics matches `application/openmetrics-text` whose `version`
//     is absent, 1.0.0 or 0.0.1 (Prometheus asks for both versions; 1.0.0
//     output serves 0.0.1 scrapers) and whose `charset`, if any, is utf-8;
//     and `application/*` and `*/*`. The 0.0.4 text matches `text/plain`
//     whose `version` is absent or 0.0.4 (and charset, if any, utf-8);
//     `text/*` and `*/*`. Other parameters (Prometheus 3's `escaping`) are
//     ignored: our names are valid under every escaping scheme.
//   - Each format's weight is the highest q among the matching ranges of
//     the most specific kind present (type/subtype over type/* over */*),
//     so `application/openmetrics-text;q=0, */*` refuses OpenMetrics.
//   - OpenMetrics is chosen when its weight is above 0 and above the 0.0.4
//     text's, or equal to it when OpenMetrics was named outright and the
//     text was not (`application/openmetrics-text, */*`).
//   - Everything else is kPrometheusText: no header, `*/*`, `text/plain`,
//     only unservable types, a malformed header. A malformed media range
//     (no `/`, a q outside [0, 1] or not a number) is skipped; the others
//     still count.
MetricsFormat NegotiateMetricsFormat(std::string_view accept_header);

}  // namespace conveyor::serving
