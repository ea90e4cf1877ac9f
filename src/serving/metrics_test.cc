#include "serving/metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "serving/histogram_family.h"
#include "serving/metrics_test_util.h"
#include "serving/openapi.h"
#include "serving/process_metrics.h"
#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

using namespace std::chrono_literals;
using testing::Exposition;

class FixedClassifier : public ml::Classifier {
 public:
  Result<std::vector<float>> PredictProba(const ml::DenseMatrix& features) const override {
    return std::vector<float>(features.rows * 3, 1.0F / 3);
  }
  int num_classes() const override { return 3; }
};

std::unique_ptr<ServedModel> MakeModel(std::string tag, int version) {
  ml::ModelSpec spec;
  spec.labels = {"cat", "dog", "eel"};
  auto model =
      ServedModel::Create({.name = "pets", .version = version, .experiment_tag = std::move(tag)},
                          spec, std::make_unique<FixedClassifier>());
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(*model);
}

Prediction Predicted(int index, float score) {
  Prediction prediction;
  prediction.class_index = index;
  prediction.probabilities = {0, 0, 0};
  prediction.probabilities[static_cast<size_t>(index)] = score;
  return prediction;
}

// `n` rows of four zero features (the inputs OnPredictions gets).
FeatureRows Rows(size_t n) {
  return {.rows = n, .cols = 4, .values = std::vector<float>(n * 4, 0.0F)};
}

RequestRecord Record(std::string_view route, std::string_view method, int status,
                     std::chrono::microseconds duration, uint64_t in = 100, uint64_t out = 2000,
                     std::string_view kind = "") {
  RequestRecord record;
  record.route = route;
  record.method = method;
  record.path = "/raw/path/never/a/label";
  record.status = status;
  record.duration = duration;
  record.request_bytes = in;
  record.response_bytes = out;
  record.error_kind = kind;
  return record;
}

ServingMetricsOptions NoProcess() {
  ServingMetricsOptions options;
  options.proc_dir.clear();
  options.now = [] { return std::chrono::system_clock::time_point(1700000000s); };
  return options;
}

TEST(ServingMetricsTest, RequestsAreCountedByRoutePatternMethodAndCode) {
  ServingMetrics metrics(NoProcess());
  for (int i = 0; i < 3; ++i)
    metrics.OnRequest(Record("/predict", "POST", 200, 800us));
  metrics.OnRequest(Record("/predict", "POST", 415, 3ms, 100, 200, "unsupported_media_type"));
  metrics.OnRequest(Record("unmatched", "GET", 404, 50us, 80, 150, "not_found"));
  metrics.OnRequest(Record("/predict", "BREW", 405, 50us, 80, 150, "method_not_allowed"));
  metrics.OnRequest(Record("/healthz", "GET", 200, 20us, 80, 150, "some_new_kind"));

  Exposition e(metrics.Serialize());
  using L = Exposition::Labels;
  EXPECT_EQ(e.Value("conveyor_http_requests_total",
                    L{{"route", "/predict"}, {"method", "POST"}, {"code", "200"}}),
            3);
  EXPECT_EQ(e.Value("conveyor_http_requests_total",
                    L{{"route", "/predict"}, {"method", "POST"}, {"code", "415"}}),
            1);
  EXPECT_EQ(e.Value("conveyor_http_requests_total",
                    L{{"route", "/predict"}, {"method", "other"}, {"code", "405"}}),
            1);
  EXPECT_EQ(e.Sum("conveyor_http_requests_total"), 7);
  EXPECT_FALSE(e.Has("/raw/path/never/a/label"));

  // Durations: 3 x 0.8 ms and 1 x 3 ms on POST /predict.
  L post{{"route", "/predict"}, {"method", "POST"}};
  EXPECT_EQ(e.Value("conveyor_http_request_duration_seconds_count", post), 4);
  EXPECT_EQ(e.Bucket("conveyor_http_request_duration_seconds", post, "0.0005"), 0);
  EXPECT_EQ(e.Bucket("conveyor_http_request_duration_seconds", post, "0.001"), 3);
  EXPECT_EQ(e.Bucket("conveyor_http_request_duration_seconds", post, "0.0025"), 3);
  EXPECT_EQ(e.Bucket("conveyor_http_request_duration_seconds", post, "0.005"), 4);
  EXPECT_EQ(e.Bucket("conveyor_http_request_duration_seconds", post, "+Inf"), 4);
  EXPECT_NEAR(*e.Value("conveyor_http_request_duration_seconds_sum", post), 0.0054, 1e-12);

  // Sizes by route only; a value on a bound lands in that bucket (le).
  EXPECT_EQ(e.Value("conveyor_http_request_size_bytes_count", L{{"route", "/predict"}}), 5);
  EXPECT_EQ(e.Bucket("conveyor_http_response_size_bytes", L{{"route", "/predict"}}, "256"), 2);
  EXPECT_EQ(e.Bucket("conveyor_http_response_size_bytes", L{{"route", "/predict"}}, "1024"), 2);
  EXPECT_EQ(e.Bucket("conveyor_http_response_size_bytes", L{{"route", "/predict"}}, "4096"), 5);
  EXPECT_EQ(e.Value("conveyor_http_request_size_bytes_sum", L{{"route", "unmatched"}}), 80);

  EXPECT_EQ(e.Value("conveyor_request_errors_total", L{{"kind", "unsupported_media_type"}}), 1);
  EXPECT_EQ(e.Value("conveyor_request_errors_total", L{{"kind", "not_found"}}), 1);
  EXPECT_EQ(e.Value("conveyor_request_errors_total", L{{"kind", "method_not_allowed"}}), 1);
  EXPECT_EQ(e.Value("conveyor_request_errors_total", L{{"kind", "other"}}), 1);
  EXPECT_EQ(e.Value("conveyor_request_errors_total", L{{"kind", "payload_too_large"}}), 0);
  EXPECT_EQ(e.Value("conveyor_http_requests_in_flight", L{}), 0);
}

TEST(ServingMetricsTest, ConcurrentRequestsLoseNoCounts) {
  ServingMetrics metrics(NoProcess());
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kEach; ++i)
        metrics.OnRequest(Record("/predict", "POST", i % 2 == 0 ? 200 : 200 + t, 100us));
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  Exposition e(metrics.Serialize());
  EXPECT_EQ(e.Sum("conveyor_http_requests_total"), kThreads * kEach);
  // t = 0 sends only 200; the others half 200 and half 200 + t.
  EXPECT_EQ(e.Value("conveyor_http_requests_total",
                    {{"route", "/predict"}, {"method", "POST"}, {"code", "200"}}),
            kEach + (kThreads - 1) * kEach / 2);
  EXPECT_EQ(e.Value("conveyor_http_request_duration_seconds_count",
                    {{"route", "/predict"}, {"method", "POST"}}),
            kThreads * kEach);
}

TEST(ServingMetricsTest, InFlightComesFromTheSource) {
  ServingMetrics metrics(NoProcess());
  metrics.SetInFlightSource([] { return int64_t{7}; });
  EXPECT_EQ(Exposition(metrics.Serialize()).Value("conveyor_http_requests_in_flight", {}), 7);
}

TEST(ServingMetricsTest, PredictionsByClassScoresAndInferenceTime) {
  ServingMetrics metrics(NoProcess());
  std::unique_ptr<ServedModel> model = MakeModel("aaa1111", 1);
  const std::array<Prediction, 3> batch = {Predicted(0, 0.97F), Predicted(2, 0.55F),
                                           Predicted(0, 0.998F)};
  metrics.OnPredictions(*model, Rows(3), batch, 2ms, "r1");
  const std::array<Prediction, 1> one = {Predicted(1, 1.0F)};
  metrics.OnPredictions(*model, Rows(1), one, 40us, "r1");

  Exposition e(metrics.Serialize());
  using L = Exposition::Labels;
  EXPECT_EQ(e.Value("conveyor_predictions_total", L{{"model", "pets"}, {"class", "cat"}}), 2);
  EXPECT_EQ(e.Value("conveyor_predictions_total", L{{"model", "pets"}, {"class", "dog"}}), 1);
  EXPECT_EQ(e.Value("conveyor_predictions_total", L{{"model", "pets"}, {"class", "eel"}}), 1);
  L pets{{"model", "pets"}};
  EXPECT_EQ(e.Value("conveyor_prediction_score_count", pets), 4);
  EXPECT_EQ(e.Bucket("conveyor_prediction_score", pets, "0.6"), 1);
  EXPECT_EQ(e.Bucket("conveyor_prediction_score", pets, "0.99"), 2);
  EXPECT_EQ(e.Bucket("conveyor_prediction_score", pets, "0.999"), 3);
  EXPECT_EQ(e.Bucket("conveyor_prediction_score", pets, "+Inf"), 4);
  EXPECT_NEAR(*e.Value("conveyor_prediction_score_sum", pets), 0.97 + 0.55 + 0.998 + 1.0, 1e-6);
  // One observation per call, not per row.
  EXPECT_EQ(e.Value("conveyor_inference_duration_seconds_count", pets), 2);
  EXPECT_EQ(e.Bucket("conveyor_inference_duration_seconds", pets, "0.0001"), 1);
  EXPECT_NEAR(*e.Value("conveyor_inference_duration_seconds_sum", pets), 0.00204, 1e-12);
}

TEST(ServingMetricsTest, SwapsUpdateModelInfoAndCountResults) {
  ServingMetrics metrics(NoProcess());
  std::unique_ptr<ServedModel> v1 = MakeModel("aaa1111", 1);
  std::unique_ptr<ServedModel> v2 = MakeModel("bbb2222", 2);
  using L = Exposition::Labels;
  {
    Exposition e(metrics.Serialize());
    EXPECT_EQ(e.Value("conveyor_model_swaps_total", L{{"result", "success"}}), 0);
    EXPECT_EQ(e.Value("conveyor_model_swaps_total", L{{"result", "failure"}}), 0);
    EXPECT_EQ(e.Count("conveyor_model_info"), 0);
  }
  metrics.OnSwapped(*v1);
  metrics.OnSwapFailed("pets@nope", Error(Code::kNotFound, "no such tag"));
  metrics.OnSwapped(*v2);
  Exposition e(metrics.Serialize());
  EXPECT_EQ(e.Count("conveyor_model_info"), 1);
  EXPECT_EQ(
      e.Value("conveyor_model_info", L{{"model", "pets"}, {"tag", "bbb2222"}, {"version", "2"}}),
      1);
  EXPECT_EQ(e.Value("conveyor_model_swaps_total", L{{"result", "success"}}), 2);
  EXPECT_EQ(e.Value("conveyor_model_swaps_total", L{{"result", "failure"}}), 1);
  EXPECT_EQ(e.Value("conveyor_model_last_swap_timestamp_seconds", L{}), 1700000000);
  // Resolved at swap time: every class is there from the start, at 0.
  EXPECT_EQ(e.Value("conveyor_predictions_total", L{{"model", "pets"}, {"class", "dog"}}), 0);
}

TEST(ServingMetricsTest, HandleServesOpenMetricsWhenAskedFirst) {
  ServingMetrics metrics(NoProcess());
  metrics.OnRequest(Record("/predict", "POST", 200, 800us));
  HttpRequest request;
  request.method = "GET";
  request.headers["accept"] =
      "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
  HttpResponse response = metrics.Handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_NE(response.body.find("# TYPE conveyor_http_requests counter\n"), std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find("conveyor_http_requests_total{"), std::string::npos);
  EXPECT_TRUE(response.body.ends_with("# EOF\n"));
}

TEST(ServingMetricsTest, HandleServesTextFormat004ByDefault) {
  ServingMetrics metrics(NoProcess());
  metrics.OnRequest(Record("/predict", "POST", 200, 800us));
  HttpRequest request;
  request.method = "GET";
  HttpResponse response = metrics.Handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(response.body.find("# TYPE conveyor_http_requests_total counter\n"), std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find("# TYPE conveyor_http_request_duration_seconds histogram\n"),
            std::string::npos);
  // Families in name order, so that the output reads the same every time.
  EXPECT_LT(response.body.find("# TYPE conveyor_http_request_duration_seconds "),
            response.body.find("# TYPE conveyor_http_requests_total "));
  EXPECT_LT(response.body.find("# TYPE conveyor_http_requests_total "),
            response.body.find("# TYPE conveyor_model_swaps_total "));
}

TEST(ServingMetricsTest, TheRouteIsRegisteredAndDocumentedWhenServed) {
  ServingMetrics metrics(NoProcess());
  Router router;
  ASSERT_TRUE(metrics.AddRoute(router).ok());
  ASSERT_EQ(router.Routes().size(), 1U);
  EXPECT_EQ(router.Routes()[0].method, "GET");
  EXPECT_EQ(router.Routes()[0].pattern, "/metrics");
  const auto with = BuildOpenApiSpec({.server_version = "1", .metrics = true});
  ASSERT_TRUE(with["paths"].contains("/metrics"));
  EXPECT_TRUE(
      with["paths"]["/metrics"]["get"]["responses"]["200"]["content"].contains("text/plain"));
  EXPECT_FALSE(BuildOpenApiSpec({.server_version = "1"})["paths"].contains("/metrics"));
}

TEST(ServingMetricsTest, MethodLabelIsBounded) {
  EXPECT_EQ(MethodLabel("GET"), "GET");
  EXPECT_EQ(MethodLabel("OPTIONS"), "OPTIONS");
  EXPECT_EQ(MethodLabel("get"), "other");
  EXPECT_EQ(MethodLabel("PROPFIND"), "other");
}

TEST(HistogramFamilyTest, BucketsAreCumulativeAndCountMatchesInf) {
  HistogramFamily family("x_seconds", "help", {"a"}, {1, 2, 4});
  AtomicHistogram& series = family.WithLabels({"v"});
  EXPECT_EQ(&series, &family.WithLabels({"v"}));
  for (double value : {0.5, 1.0, 1.5, 4.0, 9.0})
    series.Observe(value);
  AtomicHistogram::Snapshot snapshot = series.Read();
  EXPECT_EQ(snapshot.cumulative, (std::vector<uint64_t>{2, 3, 4, 5}));
  EXPECT_DOUBLE_EQ(snapshot.sum, 16.0);
  std::vector<prometheus::MetricFamily> collected = family.Collect();
  ASSERT_EQ(collected.size(), 1U);
  ASSERT_EQ(collected[0].metric.size(), 1U);
  EXPECT_EQ(collected[0].metric[0].histogram.sample_count, 5U);
  EXPECT_THROW(HistogramFamily("y", "h", {}, {2, 1}), std::invalid_argument);
}

// A fake /proc: a command name with spaces and parentheses, known fields.
TEST(ProcessMetricsTest, ReadsStatFdsLimitsAndBootTime) {
  conveyor::testing::TempDir dir;
  std::filesystem::create_directories(dir / "self" / "fd");
  for (const char* fd : {"0", "1", "2"})
    std::ofstream(dir / "self" / "fd" / fd) << "";
  // Fields: 1 pid, 2 comm, 3 state ... 14 utime=250, 15 stime=50,
  // 22 starttime=1000, 23 vsize=123456789, 24 rss=10 pages.
  std::ofstream(dir / "self" / "stat")
      << "42 (my (odd) cmd) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 1000 "
         "123456789 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  std::ofstream(dir / "self" / "limits")
      << "Limit                     Soft Limit           Hard Limit           Units\n"
         "Max open files            1024                 1048576              files\n";
  std::ofstream(dir / "stat") << "cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n";
  Result<ProcessStats> stats = ReadProcessStats(dir.path(), 100, 4096);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_DOUBLE_EQ(stats->cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, 1700000010.0);
  EXPECT_DOUBLE_EQ(stats->virtual_memory_bytes, 123456789.0);
  EXPECT_DOUBLE_EQ(stats->resident_memory_bytes, 40960.0);
  EXPECT_DOUBLE_EQ(stats->open_fds, 3.0);
  EXPECT_DOUBLE_EQ(stats->max_fds, 1024.0);

  std::ofstream(dir / "self" / "stat") << "42 no parenthesis\n";
  Result<ProcessStats> broken = ReadProcessStats(dir.path(), 100, 4096);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().message(),
            (dir / "self" / "stat").string() + ": no ')' after the command name");
}

TEST(ProcessMetricsTest, TheRealProcIsPlausible) {
  Result<ProcessStats> stats = ReadProcessStats();
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_GT(stats->resident_memory_bytes, 1e6);
  EXPECT_GE(stats->virtual_memory_bytes, stats->resident_memory_bytes);
  EXPECT_GE(stats->open_fds, 3);
  EXPECT_GE(stats->max_fds, stats->open_fds);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(stats->start_time_seconds, now + 1);
  EXPECT_GT(stats->start_time_seconds, now - 24 * 3600);  // this test binary started today
}

// promtool (Debian's prometheus package) lints the real output.
TEST(ServingMetricsTest, PromtoolCheckMetricsReportsNothing) {
  if (access("/usr/bin/promtool", X_OK) != 0)
    GTEST_SKIP() << "promtool is not installed (apt-get install prometheus)";
  ServingMetrics metrics;  // with the process metrics
  std::unique_ptr<ServedModel> model = MakeModel("aaa1111", 1);
  metrics.OnSwapped(*model);
  metrics.OnRequest(Record("/predict", "POST", 200, 800us));
  metrics.OnRequest(Record("/predict", "POST", 415, 3ms, 100, 200, "unsupported_media_type"));
  const std::array<Prediction, 1> one = {Predicted(1, 0.9F)};
  metrics.OnPredictions(*model, Rows(1), one, 40us, "r1");
  HttpRequest request;
  request.method = "GET";
  const std::string body = metrics.Handle(request).body;
  ASSERT_NE(body.find("process_resident_memory_bytes"), std::string::npos);

  conveyor::testing::TempDir dir;
  std::ofstream(dir / "metrics.txt") << body;
  const std::string command =
      "/usr/bin/promtool check metrics < '" + (dir / "metrics.txt").string() + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> chunk{};
  for (size_t n = 0; (n = fread(chunk.data(), 1, chunk.size(), pipe)) > 0;)
    output.append(chunk.data(), n);
  const int status = pclose(pipe);
  EXPECT_EQ(output, "");
  EXPECT_EQ(status, 0) << output;

  // The check itself can fail: a counter without _total is reported.
  std::ofstream(dir / "bad.txt") << "# HELP bad_requests x\n# TYPE bad_requests counter\n"
                                    "bad_requests 1\n";
  FILE* bad = popen(
      ("/usr/bin/promtool check metrics < '" + (dir / "bad.txt").string() + "' 2>&1").c_str(), "r");
  ASSERT_NE(bad, nullptr);
  std::string complaint;
  for (size_t n = 0; (n = fread(chunk.data(), 1, chunk.size(), bad)) > 0;)
    complaint.append(chunk.data(), n);
  pclose(bad);
  EXPECT_NE(complaint.find("_total"), std::string::npos) << complaint;
}

}  // namespace
}  // namespace conveyor::serving
