#include "serving/openmetrics.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "common/subprocess.h"
#include "serving/histogram_family.h"
#include "serving/metrics.h"
#include "serving/process_metrics.h"
#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// What Prometheus 2.42 (Debian 12's) sends when it scrapes.
constexpr const char* kPrometheus242Accept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

class TwoClasses : public ml::Classifier {
 public:
  Result<std::vector<float>> PredictProba(const ml::DenseMatrix& features) const override {
    return std::vector<float>(features.rows * 2, 0.5F);
  }
  int num_classes() const override { return 2; }
};

MetricFamily Family(std::string name, std::string help, MetricType type,
                    std::vector<ClientMetric> metrics) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  family.metric = std::move(metrics);
  return family;
}

ClientMetric Counter(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = value;
  return metric;
}

ClientMetric Gauge(double value, std::vector<ClientMetric::Label> labels = {},
                   int64_t timestamp_ms = 0) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  metric.timestamp_ms = timestamp_ms;
  return metric;
}

ClientMetric Histogram(std::vector<ClientMetric::Bucket> buckets, uint64_t count, double sum,
                       std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.histogram.bucket = std::move(buckets);
  metric.histogram.sample_count = count;
  metric.histogram.sample_sum = sum;
  return metric;
}

// --- Exact text ------------------------------------------------------------

TEST(OpenMetricsTest, EmptySetIsJustEof) { EXPECT_EQ(SerializeOpenMetrics({}), "# EOF\n"); }

TEST(OpenMetricsTest, CounterFamilyLosesTotalAndSamplesKeepIt) {
  const std::string text = SerializeOpenMetrics({Family(
      "http_requests_total", "Requests answered.", MetricType::Counter,
      {Counter(1027, {{"code", "200"}, {"method", "GET"}}), Counter(3, {{"code", "404"}})})});
  EXPECT_EQ(text,
            "# TYPE http_requests counter\n"
            "# HELP http_requests Requests answered.\n"
            "http_requests_total{code=\"200\",method=\"GET\"} 1027\n"
            "http_requests_total{code=\"404\"} 3\n"
            "# EOF\n");
}

TEST(OpenMetricsTest, CounterWithoutTotalGainsItOnSamples) {
  EXPECT_EQ(SerializeOpenMetrics({Family("jobs_done", "Jobs.", MetricType::Counter, {Counter(2.5)}),
                                  // "_total" alone is no suffix to strip: the name would vanish.
                                  Family("_total", "", MetricType::Counter, {Counter(1)})}),
            "# TYPE jobs_done counter\n"
            "# HELP jobs_done Jobs.\n"
            "jobs_done_total 2.5\n"
            "# TYPE _total counter\n"
            "_total_total 1\n"
            "# EOF\n");
}

TEST(OpenMetricsTest, GaugesIncludingInfoLikeOnesStayGauges) {
  EXPECT_EQ(
      SerializeOpenMetrics({Family("in_flight", "Requests now.", MetricType::Gauge, {Gauge(0)}),
                            Family("model_info", "The model.", MetricType::Gauge,
                                   {Gauge(1, {{"model", "pets"}, {"version", "3"}})}),
                            Family("no_metrics", "", MetricType::Gauge, {})}),
      "# TYPE in_flight gauge\n"
      "# HELP in_flight Requests now.\n"
      "in_flight 0\n"
      "# TYPE model_info gauge\n"
      "# HELP model_info The model.\n"
      "model_info{model=\"pets\",version=\"3\"} 1\n"
      "# TYPE no_metrics gauge\n"
      "# EOF\n");
}

TEST(OpenMetricsTest, UntypedIsUnknown) {
  EXPECT_EQ(SerializeOpenMetrics({Family("legacy", "Old.", MetricType::Untyped,
                                         [] {
                                           ClientMetric metric;
                                           metric.untyped.value = 42.25;
                                           return std::vector<ClientMetric>{metric};
                                         }())}),
            "# TYPE legacy unknown\n"
            "# HELP legacy Old.\n"
            "legacy 42.25\n"
            "# EOF\n");
}

TEST(OpenMetricsTest, HistogramBucketsCountAndSum) {
  EXPECT_EQ(
      SerializeOpenMetrics({Family(
          "latency_seconds", "Latency.", MetricType::Histogram,
          {Histogram({{2, 0.005}, {7, 0.1}, {9, 1}, {10, kInf}}, 10, 3.25, {{"route", "/predict"}}),
           Histogram({{0, 0.005}, {0, 0.1}, {0, 1}, {0, kInf}}, 0, 0)})}),
      "# TYPE latency_seconds histogram\n"
      "# HELP latency_seconds Latency.\n"
      "latency_seconds_bucket{route=\"/predict\",le=\"0.005\"} 2\n"
      "latency_seconds_bucket{route=\"/predict\",le=\"0.1\"} 7\n"
      "latency_seconds_bucket{route=\"/predict\",le=\"1.0\"} 9\n"
      "latency_seconds_bucket{route=\"/predict\",le=\"+Inf\"} 10\n"
      "latency_seconds_count{route=\"/predict\"} 10\n"
      "latency_seconds_sum{route=\"/predict\"} 3.25\n"
      "latency_seconds_bucket{le=\"0.005\"} 0\n"
      "latency_seconds_bucket{le=\"0.1\"} 0\n"
      "latency_seconds_bucket{le=\"1.0\"} 0\n"
      "latency_seconds_bucket{le=\"+Inf\"} 0\n"
      "latency_seconds_count 0\n"
      "latency_seconds_sum 0\n"
      "# EOF\n");
}

TEST(OpenMetricsTest, HistogramGainsInfBucketAndDropsSumWithNegativeBounds) {
  EXPECT_EQ(SerializeOpenMetrics(
                {Family("no_inf", "", MetricType::Histogram, {Histogram({{1, 1}, {3, 2}}, 4, 9)}),
                 Family("temperature_celsius", "", MetricType::Histogram,
                        {Histogram({{1, -10}, {5, 0}, {6, kInf}}, 6, -3)})}),
            "# TYPE no_inf histogram\n"
            "no_inf_bucket{le=\"1.0\"} 1\n"
            "no_inf_bucket{le=\"2.0\"} 3\n"
            "no_inf_bucket{le=\"+Inf\"} 4\n"
            "no_inf_count 4\n"
            "no_inf_sum 9\n"
            "# TYPE temperature_celsius histogram\n"
            "temperature_celsius_bucket{le=\"-10.0\"} 1\n"
            "temperature_celsius_bucket{le=\"0.0\"} 5\n"
            "temperature_celsius_bucket{le=\"+Inf\"} 6\n"
            "# EOF\n");
}

TEST(OpenMetricsTest, SummaryQuantilesCountAndSum) {
  ClientMetric metric;
  metric.label = {{"model", "pets"}};
  metric.summary.quantile = {{0.5, 0.25}, {0.99, kNaN}};
  metric.summary.sample_count = 12;
  metric.summary.sample_sum = 4.5;
  EXPECT_EQ(SerializeOpenMetrics({Family("rpc_seconds", "RPCs.", MetricType::Summary, {metric})}),
            "# TYPE rpc_seconds summary\n"
            "# HELP rpc_seconds RPCs.\n"
            "rpc_seconds{model=\"pets\",quantile=\"0.5\"} 0.25\n"
            "rpc_seconds{model=\"pets\",quantile=\"0.99\"} NaN\n"
            "rpc_seconds_count{model=\"pets\"} 12\n"
            "rpc_seconds_sum{model=\"pets\"} 4.5\n"
            "# EOF\n");
}

TEST(OpenMetricsTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(SerializeOpenMetrics({Family(
                "odd", "A \\ backslash, a \"quote\"\nand a line feed.", MetricType::Gauge,
                {Gauge(1, {{"path", "C:\\dir\\\"x\"\ny"}, {"empty", ""}, {"utf8", "é→✓"}})})}),
            "# TYPE odd gauge\n"
            "# HELP odd A \\\\ backslash, a \\\"quote\\\"\\nand a line feed.\n"
            "odd{path=\"C:\\\\dir\\\\\\\"x\\\"\\ny\",empty=\"\",utf8=\"é→✓\"} 1\n"
            "# EOF\n");
}

TEST(OpenMetricsTest, SampleValues) {
  struct Case {
    double value;
    std::string text;
  };
  const std::vector<Case> cases = {
      {0, "0"},
      {-0.0, "0"},
      {17, "17"},
      {-3, "-3"},
      {1e6, "1000000"},
      {9007199254740991.0, "9007199254740991"},  // 2^53 - 1
      {9007199254740992.0, "9007199254740992"},  // 2^53: shortest form, no integer path
      {1e20, "1e+20"},
      {0.1, "0.1"},
      {2.5, "2.5"},
      {1.0 / 3, "0.3333333333333333"},
      {1.89e-7, "1.89e-07"},
      {1700000000.123, "1700000000.123"},
      {kInf, "+Inf"},
      {-kInf, "-Inf"},
      {kNaN, "NaN"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SerializeOpenMetrics({Family("g", "", MetricType::Gauge, {Gauge(c.value)})}),
              "# TYPE g gauge\ng " + c.text + "\n# EOF\n")
        << "value " << c.value;
  }
}

// The specification's canonical `le`/`quantile` renderings (its "Canonical
// Numbers" examples), plus our own buckets' bounds.
TEST(OpenMetricsTest, CanonicalBucketBounds) {
  struct Case {
    double bound;
    std::string le;
  };
  const std::vector<Case> cases = {
      {-1e6, "-1e+06"},
      {-2.5, "-2.5"},
      {0, "0.0"},
      {1e-10, "1e-10"},
      {1e-9, "1e-09"},
      {1e-5, "1e-05"},
      {0.0001, "0.0001"},
      {0.00025, "0.00025"},
      {0.001, "0.001"},
      {0.002, "0.002"},
      {0.01, "0.01"},
      {0.1, "0.1"},
      {0.9, "0.9"},
      {0.95, "0.95"},
      {0.99, "0.99"},
      {0.999, "0.999"},
      {1, "1.0"},
      {1.7, "1.7"},
      {2.5, "2.5"},
      {10, "10.0"},
      {64, "64.0"},
      {100000, "100000.0"},
      {262144, "262144.0"},
      {999999, "999999.0"},
      {1e6, "1e+06"},
      {1048576, "1.048576e+06"},
      {16777216, "1.6777216e+07"},
      {1e10, "1e+10"},
      {1e23, "1e+23"},
      {1.1e23, "1.1e+23"},
      {kInf, "+Inf"},
  };
  std::vector<ClientMetric::Bucket> buckets;
  std::string expected = "# TYPE h histogram\n";
  for (size_t i = 0; i < cases.size(); ++i) {
    buckets.push_back({i, cases[i].bound});
    expected += "h_bucket{le=\"" + cases[i].le + "\"} " + std::to_string(i) + "\n";
  }
  // Negative bounds: no _count, no _sum.
  expected += "# EOF\n";
  EXPECT_EQ(SerializeOpenMetrics({Family("h", "", MetricType::Histogram,
                                         {Histogram(buckets, cases.size() - 1, 0)})}),
            expected);
}

TEST(OpenMetricsTest, TimestampsInSeconds) {
  EXPECT_EQ(
      SerializeOpenMetrics({Family("t", "", MetricType::Gauge,
                                   {Gauge(1, {{"a", "1"}}, 1520879607789),
                                    Gauge(2, {{"a", "2"}}, 1500), Gauge(3, {{"a", "3"}}, 3000),
                                    Gauge(4, {{"a", "4"}}, 1020), Gauge(5, {{"a", "5"}}, 7),
                                    Gauge(6, {{"a", "6"}}, -1500), Gauge(7, {{"a", "7"}}, 0)}),
                            Family("c_total", "", MetricType::Counter,
                                   [] {
                                     ClientMetric metric = Counter(5);
                                     metric.timestamp_ms = 1000;
                                     return std::vector<ClientMetric>{metric};
                                   }())}),
      "# TYPE t gauge\n"
      "t{a=\"1\"} 1 1520879607.789\n"
      "t{a=\"2\"} 2 1.5\n"
      "t{a=\"3\"} 3 3\n"
      "t{a=\"4\"} 4 1.02\n"
      "t{a=\"5\"} 5 0.007\n"
      "t{a=\"6\"} 6 -1.5\n"
      "t{a=\"7\"} 7\n"
      "# TYPE c counter\n"
      "c_total 5 1\n"
      "# EOF\n");
}

// --- A strict third-party parser -------------------------------------------

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with its packages

struct Parsed {
  std::string skip;  // why the parser could not run; then nothing else is set
  int exit_code = 0;
  std::string out;  // the families and samples as the parser understood them
  std::string err;
};

// Runs tests/monitoring/check_openmetrics.py on `text`. Sets `skip` when
// Debian's python3 or its prometheus_client is missing: the caller
// GTEST_SKIPs with it.
Parsed ParseWithPrometheusClient(const std::string& text) {
  Parsed parsed;
  if (!std::filesystem::exists(kPython)) {
    parsed.skip =
        fmt::format("{} is missing (Debian's python3 runs the OpenMetrics parser)", kPython);
    return parsed;
  }
  testing::TempDir dir;
  testing::WriteFile(dir / "exposition.txt", text);
  const std::string script =
      std::string(CONVEYOR_SOURCE_DIR) + "/tests/monitoring/check_openmetrics.py";
  CommandSpec spec;
  spec.command = fmt::format("'{}' '{}' < exposition.txt > out.txt 2> err.txt", kPython, script);
  spec.cwd = dir.path();
  Result<CommandResult> result = ShellRunner().Run(spec);
  EXPECT_TRUE(result.ok()) << result.status().message();
  parsed.exit_code = result.ok() && result->signal == 0 ? result->exit_code : -1;
  parsed.out = testing::ReadFile(dir / "out.txt");
  parsed.err = testing::ReadFile(dir / "err.txt");
  if (parsed.exit_code == 77)  // check_openmetrics.py: no prometheus_client
    parsed.skip = parsed.err;
  return parsed;
}

// The kinds of family the server exposes, made by the code that makes them
// there: prometheus-cpp counters and gauges with our names and label sets,
// our HistogramFamily with our bucket layouts, the ProcessCollector on
// /proc; plus a prometheus-cpp histogram and summary.
class ServerLikeMetrics {
 public:
  ServerLikeMetrics() {
    auto& requests = prometheus::BuildCounter()
                         .Name("conveyor_http_requests_total")
                         .Help("HTTP requests answered, by route pattern, method and status code.")
                         .Register(registry_);
    requests.Add({{"route", kPredict}, {"method", "POST"}, {"code", "200"}}).Increment(1041);
    requests.Add({{"route", kPredict}, {"method", "POST"}, {"code", "400"}}).Increment(3);
    requests.Add({{"route", "/metrics"}, {"method", "GET"}, {"code", "200"}}).Increment();
    auto& errors = prometheus::BuildCounter()
                       .Name("conveyor_request_errors_total")
                       .Help("Error responses by kind (the error code of the response body).")
                       .Register(registry_);
    for (const char* kind : {"bad_request", "invalid_input", "not_found", "other"})
      errors.Add({{"kind", kind}});
    errors.Add({{"kind", "invalid_input"}}).Increment(3);
    auto& predictions = prometheus::BuildCounter()
                            .Name("conveyor_predictions_total")
                            .Help("Rows predicted, by model and predicted class label.")
                            .Register(registry_);
    for (const char* label : {"cat", "dog", "eel"})
      predictions.Add({{"model", "pets"}, {"class", label}}).Increment(7);
    prometheus::BuildGauge()
        .Name("conveyor_http_requests_in_flight")
        .Help("HTTP requests being handled right now.")
        .Register(registry_)
        .Add({})
        .Set(2);
    prometheus::BuildGauge()
        .Name("conveyor_model_info")
        .Help("The model being served (value 1), by name, experiment tag and registry version.")
        .Register(registry_)
        .Add({{"model", "pets"}, {"tag", "exp-\"quoted\"\\tag"}, {"version", "3"}})
        .Set(1);
    prometheus::BuildGauge()
        .Name("conveyor_model_last_swap_timestamp_seconds")
        .Help("When the model being served was published, in seconds since the Unix epoch.")
        .Register(registry_)
        .Add({})
        .Set(1717171717.125);
    auto& rpc =
        prometheus::BuildHistogram()
            .Name("conveyor_test_rpc_seconds")
            .Help("A prometheus-cpp histogram.")
            .Register(registry_)
            .Add({{"peer", "registry"}}, prometheus::Histogram::BucketBoundaries{0.01, 0.1, 1});
    rpc.Observe(0.05);
    rpc.Observe(3);
    auto& batch =
        prometheus::BuildSummary()
            .Name("conveyor_test_batch_rows")
            .Help("A prometheus-cpp summary.")
            .Register(registry_)
            .Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}});
    batch.Observe(4);
    batch.Observe(16);
    prometheus::BuildSummary()
        .Name("conveyor_test_empty_summary")
        .Help("No observations: NaN quantiles.")
        .Register(registry_)
        .Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}});

    for (double seconds : {0.00003, 0.0007, 0.004, 0.2, 12.0})
      duration_.WithLabels({kPredict, "POST"}).Observe(seconds);
    duration_.WithLabels({"/metrics", "GET"}).Observe(0.001);
    for (double bytes : {100.0, 5000.0, 3e7})
      response_size_.WithLabels({kPredict}).Observe(bytes);
  }

  // Sorted by name, as ServingMetrics::Serialize sorts them.
  std::vector<MetricFamily> Collect() const {
    std::vector<MetricFamily> families = registry_.Collect();
    for (const prometheus::Collectable* collectable :
         std::initializer_list<const prometheus::Collectable*>{&duration_, &response_size_,
                                                               &process_}) {
      for (MetricFamily& family : collectable->Collect())
        families.push_back(std::move(family));
    }
    std::sort(families.begin(), families.end(),
              [](const MetricFamily& a, const MetricFamily& b) { return a.name < b.name; });
    return families;
  }

 private:
  static constexpr const char* kPredict = "/v1/models/{name}:predict";

  prometheus::Registry registry_;
  HistogramFamily duration_{"conveyor_http_request_duration_seconds",
                            "Time from the start of reading a request to its response written.",
                            {"route", "method"},
                            {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                             0.25, 0.5, 1, 2.5, 5, 10}};
  HistogramFamily response_size_{
      "conveyor_http_response_size_bytes",
      "Response sizes as written to the socket (header and body).",
      {"route"},
      {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216}};
  ProcessCollector process_{"/proc"};
};

// The family lines of the checker's output ("name type samples").
std::vector<std::string> FamilyLines(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream stream(out);
  for (std::string line; std::getline(stream, line);) {
    if (!line.starts_with("  "))
      lines.push_back(line);
  }
  return lines;
}

TEST(OpenMetricsParserTest, AcceptsTheServersKindsOfFamily) {
  const ServerLikeMetrics metrics;
  const std::string text = SerializeOpenMetrics(metrics.Collect());
  const Parsed parsed = ParseWithPrometheusClient(text);
  if (!parsed.skip.empty())
    GTEST_SKIP() << parsed.skip;
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << "\n" << text;

  EXPECT_THAT(
      FamilyLines(parsed.out),
      ::testing::ElementsAre(
          "conveyor_http_request_duration_seconds histogram 38",  // 2 x (17 + 2)
          "conveyor_http_requests_in_flight gauge 1", "conveyor_http_requests counter 3",
          "conveyor_http_response_size_bytes histogram 13",  // 11 + 2
          "conveyor_model_info gauge 1", "conveyor_model_last_swap_timestamp_seconds gauge 1",
          "conveyor_predictions counter 3", "conveyor_request_errors counter 4",
          "conveyor_test_batch_rows summary 5", "conveyor_test_empty_summary summary 3",
          "conveyor_test_rpc_seconds histogram 6", "process_cpu_seconds counter 1",
          "process_max_fds gauge 1", "process_open_fds gauge 1",
          "process_resident_memory_bytes gauge 1", "process_start_time_seconds gauge 1",
          "process_virtual_memory_bytes gauge 1"))
      << parsed.out;
  // What the parser read back: names with _total, labels unescaped, values.
  EXPECT_THAT(parsed.out,
              HasSubstr(R"(  conveyor_http_requests_total{"code": "200", "method": "POST", )"
                        R"("route": "/v1/models/{name}:predict"} 1041)"));
  EXPECT_THAT(parsed.out, HasSubstr(R"(  conveyor_model_info{"model": "pets", )"
                                    R"("tag": "exp-\"quoted\"\\tag", "version": "3"} 1)"));
  EXPECT_THAT(parsed.out,
              HasSubstr(R"(  conveyor_http_response_size_bytes_bucket{"le": "1.6777216e+07", )"
                        R"("route": "/v1/models/{name}:predict"} 2)"));
  EXPECT_THAT(parsed.out, HasSubstr(R"(  conveyor_http_response_size_bytes_bucket{"le": "+Inf", )"
                                    R"("route": "/v1/models/{name}:predict"} 3)"));
  EXPECT_THAT(parsed.out,
              HasSubstr(R"(  conveyor_model_last_swap_timestamp_seconds{} 1717171717.125)"));
  EXPECT_THAT(parsed.out, HasSubstr(R"(  conveyor_test_empty_summary{"quantile": "0.5"} nan)"));
}

// What GET /metrics really serves, drift gauges included, when Prometheus
// asks for OpenMetrics.
TEST(OpenMetricsParserTest, AcceptsWhatTheServerServes) {
  ServingMetrics metrics(ServingMetricsOptions{.drift = {.window = 10, .min_samples = 2}});
  ml::ModelSpec spec;
  spec.labels = {"a", "b"};
  spec.reference.samples = 4;
  spec.reference.class_priors = {0.5, 0.5};
  spec.reference.intensity = ml::MakeUnitHistogram(4);
  spec.reference.intensity.counts = {1, 1, 1, 1};
  spec.reference.ink_fraction = spec.reference.intensity;
  auto model = ServedModel::Create({.name = "pets", .version = 2, .experiment_tag = "t"}, spec,
                                   std::make_unique<TwoClasses>());
  ASSERT_TRUE(model.ok()) << model.status().message();
  metrics.OnSwapped(**model);
  RequestRecord record;
  record.route = "/predict";
  record.method = "POST";
  record.status = 200;
  metrics.OnRequest(record);
  const FeatureRows rows{.rows = 3, .cols = 1, .values = {0.1F, 0.6F, 0.9F}};
  std::vector<Prediction> predictions(3);
  predictions[1].class_index = 1;
  for (Prediction& prediction : predictions)
    prediction.probabilities = {0.5F, 0.5F};
  metrics.OnPredictions(**model, rows, predictions, std::chrono::microseconds(50), "r1");

  HttpRequest request;
  request.method = "GET";
  request.headers["accept"] = kPrometheus242Accept;
  const HttpResponse response = metrics.Handle(request);
  EXPECT_EQ(response.content_type, kOpenMetricsType);
  const Parsed parsed = ParseWithPrometheusClient(response.body);
  if (!parsed.skip.empty())
    GTEST_SKIP() << parsed.skip;
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << "\n" << response.body;
  EXPECT_THAT(parsed.out, HasSubstr("conveyor_http_requests counter 1"));
  EXPECT_THAT(parsed.out, HasSubstr("conveyor_prediction_drift_psi gauge 1"));
  EXPECT_THAT(parsed.out, HasSubstr("conveyor_input_drift_psi gauge 2"));
  EXPECT_THAT(parsed.out, HasSubstr(R"(  conveyor_drift_window_samples{"model": "pets"} 3)"));
  EXPECT_THAT(parsed.out, HasSubstr("process_cpu_seconds counter 1"));
}

TEST(OpenMetricsParserTest, AcceptsTheEdgeCases) {
  ClientMetric summary;
  summary.summary.quantile = {{0.5, 1.5}, {0.99, kNaN}};
  summary.summary.sample_count = 2;
  summary.summary.sample_sum = 3;
  ClientMetric untyped;
  untyped.untyped.value = -kInf;
  const std::string text = SerializeOpenMetrics({
      Family("jobs_done", "No _total in the name.", MetricType::Counter, {Counter(2.5)}),
      Family("odd", "A \\ backslash, a \"quote\"\nand a line feed.", MetricType::Gauge,
             {Gauge(kNaN, {{"path", "C:\\dir\\\"x\"\ny"}, {"empty", ""}, {"utf8", "é→✓"}}),
              Gauge(kInf, {{"path", "b"}}), Gauge(-kInf, {{"path", "c"}}),
              Gauge(1e-300, {{"path", "d"}}), Gauge(-1.7e308, {{"path", "e"}})}),
      Family("stamped", "", MetricType::Gauge,
             {Gauge(1, {{"a", "1"}}, 1520879607789), Gauge(2, {{"a", "2"}}, 1000)}),
      Family("no_inf", "", MetricType::Histogram, {Histogram({{1, 1}, {3, 2}}, 4, 9)}),
      Family("temperature_celsius", "", MetricType::Histogram,
             {Histogram({{1, -10}, {5, 0}, {6, kInf}}, 6, -3)}),
      Family("rpc_seconds", "", MetricType::Summary, {summary}),
      Family("legacy", "", MetricType::Untyped, {untyped}),
      Family("no_metrics", "Nothing yet.", MetricType::Counter, {}),
  });
  const Parsed parsed = ParseWithPrometheusClient(text);
  if (!parsed.skip.empty())
    GTEST_SKIP() << parsed.skip;
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << "\n" << text;
  EXPECT_THAT(
      FamilyLines(parsed.out),
      ::testing::ElementsAre("jobs_done counter 1", "odd gauge 5", "stamped gauge 2",
                             "no_inf histogram 5", "temperature_celsius histogram 3",
                             "rpc_seconds summary 4", "legacy unknown 1", "no_metrics counter 0"))
      << parsed.out;
  EXPECT_THAT(parsed.out, HasSubstr(R"(  odd{"empty": "", "path": "C:\\dir\\\"x\"\ny", )"
                                    R"("utf8": "é→✓"} nan)"));
  EXPECT_THAT(parsed.out, HasSubstr(R"(  stamped{"a": "1"} 1 1520879607.789000000)"));
}

// The checker is no rubber stamp: it fails what the format forbids.
TEST(OpenMetricsParserTest, CheckerRejectsInvalidText) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"# TYPE a gauge\na 1\n", "Missing # EOF at end"},
      {"# TYPE a_total counter\na_total 1\n# EOF\n", "Clashing name: a_total"},
      {"# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\n# EOF\n", "+Inf bucket missing: h"},
      {"# TYPE a gauge\n\na 1\n# EOF\n", "Received blank line"},
      {"# TYPE a counter\na_total -1\n# EOF\n", "Counter-like samples cannot be negative"},
      {"# TYPE a gauge\na 1\n# EOF\na 2\n", "Received line after # EOF"},
  };
  for (const Case& c : cases) {
    const Parsed parsed = ParseWithPrometheusClient(c.text);
    if (!parsed.skip.empty())
      GTEST_SKIP() << parsed.skip;
    EXPECT_EQ(parsed.exit_code, 1) << c.text;
    EXPECT_THAT(parsed.err, HasSubstr(c.error)) << c.text;
  }
}

// --- Negotiation -------------------------------------------------------------

TEST(MetricsFormatNegotiationTest, Table) {
  constexpr MetricsFormat kText = MetricsFormat::kPrometheusText;
  constexpr MetricsFormat kOm = MetricsFormat::kOpenMetrics;
  struct Case {
    std::string_view accept;
    MetricsFormat expected;
  };
  const std::vector<Case> cases = {
      // What scrapers send.
      {kPrometheus242Accept, kOm},
      {"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
       "application/openmetrics-text;version=0.0.1;q=0.4,"
       "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,"
       "*/*;q=0.1",  // Prometheus 3
       kOm},
      {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
       "encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,"
       "text/plain;version=0.0.4;q=0.2,*/*;q=0.1",  // protobuf first: we cannot serve it
       kOm},
      {"text/plain;version=0.0.4;q=1,*/*;q=0.1", kText},  // Prometheus with OpenMetrics off
      {"text/plain; version=0.0.4; charset=utf-8", kText},
      // No preference, or no OpenMetrics.
      {"", kText},
      {"*/*", kText},
      {"text/plain", kText},
      {"text/*", kText},
      {"application/json", kText},
      {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", kText},  // a browser
      // OpenMetrics by name, versions and charsets.
      {"application/openmetrics-text", kOm},
      {"application/openmetrics-text; version=1.0.0; charset=utf-8", kOm},
      {"application/openmetrics-text;version=0.0.1", kOm},
      {"application/openmetrics-text;version=\"1.0.0\"", kOm},
      {"application/openmetrics-text;charset=UTF-8", kOm},
      {"application/openmetrics-text;version=2.0.0", kText},
      {"application/openmetrics-text;version=2.0.0,*/*;q=0.1", kText},
      {"application/openmetrics-text;charset=iso-8859-1", kText},
      {"application/*", kOm},
      // Case and whitespace.
      {"Application/OpenMetrics-Text; Version=1.0.0; Q=0.9, TEXT/PLAIN; q=0.5", kOm},
      {"  application/openmetrics-text ;\tversion = 1.0.0 ; q = 0.9 ,text/plain;q=0.5  ", kOm},
      // Weights.
      {"application/openmetrics-text;q=0.5,text/plain", kText},
      {"application/openmetrics-text,text/plain;q=0.999", kOm},
      {"application/openmetrics-text;q=0.001", kOm},
      {"application/openmetrics-text;q=0", kText},
      {"application/openmetrics-text;q=0.0,*/*", kText},  // refused by name, */* can't undo it
      {"application/openmetrics-text;q=0,text/plain;q=0", kText},
      {"*/*;q=0.5,application/openmetrics-text;q=0.6", kOm},
      {"application/openmetrics-text;q=0.4,*/*;q=0.5", kText},  // text/plain gets */*'s 0.5
      {"application/openmetrics-text;version=1.0.0;q=0,application/openmetrics-text;"
       "version=0.0.1;q=0.3",
       kOm},  // equally specific: the higher q counts
      // Ties: OpenMetrics when named outright and the text format was not.
      {"application/openmetrics-text,*/*", kOm},
      {"application/openmetrics-text,text/*", kOm},
      {"application/openmetrics-text,text/plain", kText},
      {"text/plain,application/openmetrics-text", kText},
      {"application/*,text/*", kText},
      // Accept extensions after q are not media type parameters.
      {"application/openmetrics-text;q=0.9;version=9.9.9,text/plain;q=0.5", kOm},
      // Malformed ranges are skipped; the rest still count.
      {"garbage", kText},
      {",,,", kText},
      {";;;", kText},
      {"/", kText},
      {"*/openmetrics-text", kText},
      {"application/openmetrics-text;q=2", kText},
      {"application/openmetrics-text;q=-1", kText},
      {"application/openmetrics-text;q=abc", kText},
      {"application/openmetrics-text;q=nan", kText},
      {"application/openmetrics-text;q=", kText},
      {"application/openmetrics-text;q=2,text/plain;q=0.5", kText},
      {"nonsense,application/openmetrics-text", kOm},
      {"application/openmetrics-text;q=0.5 junk,application/openmetrics-text;q=0.2", kOm},
      {"application/openmetrics-text;foo=\"a,b;q=0\";q=0.9,text/plain;q=0.5", kOm},
      {"application/openmetrics-text;version=\"1.0.0", kText},  // unterminated quote
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NegotiateMetricsFormat(c.accept), c.expected) << "Accept: " << c.accept;
  }
}

}  // namespace
}  // namespace conveyor::serving
