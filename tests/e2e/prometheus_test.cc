// End-to-end: `conveyor serve` scraped by Debian's real Prometheus
// (/usr/bin/prometheus) every second on loopback, with the alert rules of
// deploy/monitoring/alerts.yml loaded. A known number of valid and invalid
// predictions go in through the real curl; Prometheus's HTTP API must then
// answer the right counts by route and code, predictions by class summing to
// the successful ones, the score histogram's count, the model-info labels,
// and, after a hot swap, the swap counter and time. Prometheus asks for
// OpenMetrics and gets it. Then drift: the example's test images leave the
// PSI gauges low and the drift alerts inactive; the same images inverted
// push them past 0.2 and the alerts go pending. Last, the loop to retraining
// through Debian's Alertmanager, and the whole closed loop of issue 10
// (ClosedLoopTest, at the end). Skipped only when
// /usr/bin/prometheus is absent (scripts/install-deps.sh installs it).
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ml/samples.h"
#include "testing/cli_runner.h"
#include "testing/sample_png.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
using testing::ReadFile;
using testing::Shell;
using testing::ShellQuote;
using testing::WriteFile;

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One sample of an instant query's answer.
struct Sample {
  Json labels;
  double value = 0;
};

// A daemon of Debian's (Prometheus, Alertmanager) on 127.0.0.1:<free port>,
// its files and log in `dir`, started by fork/exec so that it is this
// process's child: stopped with SIGTERM (then SIGKILL) by the destructor, and
// sent SIGTERM by the kernel if the test binary dies first. Not thread-safe.
class DaemonProcess {
 public:
  // `argv_for(address)` is the command line for listening on "127.0.0.1:N";
  // the daemon is ready when GET <url>/-/ready answers 2xx.
  DaemonProcess(fs::path dir, std::string name,
                const std::function<std::vector<std::string>(const std::string&)>& argv_for)
      : dir_(std::move(dir)),
        name_(std::move(name)),
        url_("http://127.0.0.1:" + std::to_string(testing::FreePort())),
        argv_(argv_for(url_.substr(std::string("http://").size()))) {}
  ~DaemonProcess() { Stop(); }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  const std::string& url() const { return url_; }
  const fs::path& dir() const { return dir_; }
  std::string Log() const { return ReadFile(dir_ / (name_ + ".log")); }

  // Starts the daemon and waits (up to 30 s) for /-/ready; fails the test
  // (fatally) with its log otherwise.
  void Start() {
    std::vector<std::string> argv = argv_;
    std::vector<char*> args;
    for (std::string& arg : argv) {
      args.push_back(arg.data());
    }
    args.push_back(nullptr);
    const std::string log = (dir_ / (name_ + ".log")).string();
    int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ASSERT_GE(log_fd, 0) << log;
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) {
        ::_exit(1);
      }
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(log_fd);
    ASSERT_GT(pid_, 0) << "fork failed";
    for (int i = 0; i < testing::ScaledCount(300); ++i) {
      if (Shell(dir_, "curl -sf -o /dev/null " + url_ + "/-/ready") == 0) {
        return;
      }
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << name_ << " not ready at " << url_ << ":\n" << Log();
  }

  // SIGTERM, up to 10 s (scaled) for a clean exit, then SIGKILL.
  void Stop() {
    if (pid_ <= 0) {
      return;
    }
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + testing::Scaled(std::chrono::seconds(10));
    while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }

 private:
  fs::path dir_;
  std::string name_;
  std::string url_;
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
};

// Debian's Prometheus with the configuration `config`, its TSDB in `dir`.
class PrometheusProcess : public DaemonProcess {
 public:
  PrometheusProcess(const fs::path& dir, const std::string& config)
      : DaemonProcess(dir, "prometheus", [&dir, &config](const std::string& address) {
          WriteFile(dir / "prometheus.yml", config);
          return std::vector<std::string>{
              kPrometheus,
              "--config.file=" + (dir / "prometheus.yml").string(),
              "--storage.tsdb.path=" + (dir / "tsdb").string(),
              "--web.listen-address=" + address,
              "--log.level=warn",
          };
        }) {}

  // GET `path` (with curl's extra `args`), the parsed JSON answer.
  Json Get(const std::string& path, const std::string& args = "") {
    Shell(dir(), "curl -s -G -o answer.json " + args + " " + url() + path);
    return Json::parse(ReadFile(dir() / "answer.json"), nullptr, false);
  }

  // An instant query through /api/v1/query; fails the test on an error.
  std::vector<Sample> Query(const std::string& promql) {
    Json answer = Get("/api/v1/query", "--data-urlencode " + ShellQuote("query=" + promql));
    std::vector<Sample> samples;
    EXPECT_EQ(answer.value("status", ""), "success") << promql << ": " << answer.dump();
    if (answer.value("status", "") != "success") {
      return samples;
    }
    for (const Json& result : answer["data"]["result"]) {
      samples.push_back({result["metric"], std::stod(result["value"][1].get<std::string>())});
    }
    return samples;
  }

  // The value of a query answering one sample; nullopt when it answers none.
  std::optional<double> Scalar(const std::string& promql) {
    std::vector<Sample> samples = Query(promql);
    EXPECT_LE(samples.size(), 1u) << promql;
    return samples.empty() ? std::nullopt : std::optional<double>(samples[0].value);
  }

  // Waits (up to 20 s) until a scrape of job "conveyor" that started after
  // `after` (Unix seconds) has been stored; fails the test otherwise.
  // timestamp() of a bare selector is the sample's (the scrape's start);
  // of any other expression it would be the query's evaluation time.
  void WaitForScrapeAfter(double after) {
    for (int i = 0; i < testing::ScaledCount(200); ++i) {
      std::optional<double> scraped = Scalar("timestamp(up{job=\"conveyor\"})");
      if (scraped && *scraped > after) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "no scrape of conveyor after " << after << " s:\n" << Log();
  }
};

class PrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kPrometheus, X_OK) != 0) {
      GTEST_SKIP() << kPrometheus << " is absent: install Debian's prometheus "
                   << "(scripts/install-deps.sh)";
    }
    testing::TrainDigitsProject(CONVEYOR_SOURCE_DIR, dir_.path(), env_);
    ASSERT_FALSE(HasFatalFailure());
    testing::WriteSamplePng(dir_ / "model/model.yaml", dir_ / "sample.png", expected_label_);
    ASSERT_FALSE(HasFatalFailure());
    // A PNG signature and then no image: decoding fails.
    WriteFile(dir_ / "broken.png", std::string("\x89PNG\r\n\x1a\n", 8) + "not an image at all");
    server_.emplace(dir_.path());
  }

  void TearDown() override {
    if (prometheus_) {
      prometheus_->Stop();
    }
    if (server_ && serving_) {
      server_->Stop();
    }
  }

  // Starts conveyor serve (`flags`, `env` as ServeProcess::Start takes
  // them) and Prometheus scraping it with the deployment's alert rules and
  // `rules` (a file, when given), plus `extra` appended to its configuration.
  void StartBoth(const std::string& flags = "--no-auth --threads 2", const std::string& env = "",
                 const std::string& rules = "", const std::string& extra = "") {
    serving_ = true;  // TearDown stops it even if it never gets ready
    server_->Start(flags, env);
    ASSERT_FALSE(HasFatalFailure());
    const std::string target = server_->url().substr(std::string("http://").size());
    const std::string alerts = std::string(CONVEYOR_SOURCE_DIR) + "/deploy/monitoring/alerts.yml";
    fs::create_directories(dir_ / "prometheus");
    std::string config =
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "  evaluation_interval: 1s\n"
        "rule_files:\n";
    config += "  - " + alerts + "\n";
    if (!rules.empty())
      config += "  - " + rules + "\n";
    config +=
        "scrape_configs:\n"
        "  - job_name: conveyor\n"
        "    static_configs:\n";
    config += "      - targets: ['" + target + "']\n";
    config += extra;
    prometheus_.emplace(dir_ / "prometheus", config);
    prometheus_->Start();
  }

  // Starts Debian's Alertmanager sending every alert, at once and one
  // notification per group, to the server's /hooks/alertmanager with the
  // token "a1" (alertmanager_).
  void StartAlertmanager() {
    const fs::path am_dir = dir_ / "alertmanager";
    fs::create_directories(am_dir);
    const std::string hook = server_->url() + "/hooks/alertmanager";
    alertmanager_.emplace(am_dir, "alertmanager", [&](const std::string& address) {
      WriteFile(am_dir / "alertmanager.yml",
                "route:\n  receiver: conveyor\n  group_by: [alertname]\n  group_wait: 0s\n"
                "  group_interval: 1s\n  repeat_interval: 1h\n"
                "receivers:\n  - name: conveyor\n    webhook_configs:\n      - url: " +
                    hook +
                    "\n        send_resolved: true\n        http_config:\n"
                    "          authorization: {type: Bearer, credentials: a1}\n");
      return std::vector<std::string>{kAlertmanager,
                                      "--config.file=" + (am_dir / "alertmanager.yml").string(),
                                      "--storage.path=" + (am_dir / "data").string(),
                                      "--web.listen-address=" + address,
                                      "--cluster.listen-address=",
                                      "--log.level=warn"};
    });
    alertmanager_->Start();
  }

  // Posts the first `count` raw test images of the trained project (0..255
  // pixels), inverted when `invert`, to /predict as one JSON "instances"
  // request; it must answer 200 with one prediction each.
  void PredictTestImages(size_t count, bool invert, const std::string& curl_args = "") {
    Result<ml::SampleSet> samples = ml::ReadSamples(dir_ / "work/test_raw.samples");
    ASSERT_TRUE(samples.ok()) << samples.status().message();
    ASSERT_GE(samples->size(), count);
    Json instances = Json::array();
    for (size_t i = 0; i < count; ++i) {
      Json row = Json::array();
      for (float pixel : samples->sample(i))
        row.push_back(static_cast<int>(invert ? 255 - pixel : pixel));
      instances.push_back(std::move(row));
    }
    WriteFile(dir_ / "instances.json", Json{{"instances", instances}}.dump());
    auto [body, code] = server_->Curl(curl_args +
                                      " -H 'Content-Type: application/json' --data-binary "
                                      "@instances.json " +
                                      server_->url() + "/predict");
    ASSERT_EQ(code, 200) << body.dump().substr(0, 500);
    EXPECT_EQ(body["predictions"].size(), count);
  }

  // The alert's states in Prometheus now ("pending", "firing"), by the
  // label `label` of each alert.
  std::map<std::string, std::string> AlertStates(const std::string& name,
                                                 const std::string& label) {
    std::map<std::string, std::string> states;
    for (const Sample& sample :
         prometheus_->Query("ALERTS{alertname=\"" + name + "\",job=\"conveyor\"}")) {
      states[sample.labels.value(label, "")] = sample.labels["alertstate"].get<std::string>();
    }
    return states;
  }

  // Sends `count` requests with curl's `args` to /predict; each must answer
  // `status`.
  void Predict(int count, const std::string& args, int status) {
    for (int i = 0; i < count; ++i) {
      auto [body, code] = server_->Curl(args + " " + server_->url() + "/predict");
      ASSERT_EQ(code, status) << args << ": " << body.dump();
    }
  }

  testing::TempDir dir_;
  std::string env_;
  std::string expected_label_;
  std::optional<testing::ServeProcess> server_;
  bool serving_ = false;
  std::optional<PrometheusProcess> prometheus_;
  std::optional<DaemonProcess> alertmanager_;
};

TEST_F(PrometheusTest, CountsPredictionsErrorsAndSwapsAsPrometheusScrapesThem) {
  StartBoth();
  ASSERT_FALSE(HasFatalFailure());
  PrometheusProcess& prometheus = *prometheus_;

  // The deployment's alert rules load, and none fires on a healthy server.
  Json rules = prometheus.Get("/api/v1/rules", "--data-urlencode type=alert");
  std::map<std::string, std::string> states;
  for (const Json& group : rules["data"]["groups"]) {
    for (const Json& rule : group["rules"]) {
      states[rule["name"].get<std::string>()] = rule["state"].get<std::string>();
    }
  }
  EXPECT_EQ(states.size(), 8u) << rules.dump();
  for (const char* name :
       {"ConveyorHighErrorRatio", "ConveyorHighLatencyP99", "ConveyorModelNotReady",
        "ConveyorNoTraffic", "ConveyorModelSwapFailed", "ConveyorPredictionDrift",
        "ConveyorInputDrift", "ConveyorLiveAccuracyLow"}) {
    EXPECT_TRUE(states.count(name)) << name << " not loaded: " << rules.dump();
  }

  // 7 predictions, 3 bodies of an unsupported type (415), 2 corrupt
  // images (422).
  constexpr int kOk = 7;
  constexpr int kUnsupported = 3;
  constexpr int kCorrupt = 2;
  Predict(kOk, "-F file=@sample.png", 200);
  Predict(kUnsupported, "-H 'Content-Type: text/plain' -d hi", 415);
  Predict(kCorrupt, "-F file=@broken.png", 422);
  ASSERT_FALSE(HasFatalFailure());
  prometheus.WaitForScrapeAfter(UnixNow() + 0.1);
  ASSERT_FALSE(HasFatalFailure());

  EXPECT_EQ(prometheus.Scalar("up{job=\"conveyor\"}"), 1);

  // Requests to /predict by code.
  std::map<std::string, double> by_code;
  for (const Sample& sample : prometheus.Query(
           "sum by (code) (conveyor_http_requests_total{job=\"conveyor\",route=\"/predict\","
           "method=\"POST\"})")) {
    by_code[sample.labels["code"].get<std::string>()] = sample.value;
  }
  EXPECT_EQ(by_code, (std::map<std::string, double>{
                         {"200", kOk}, {"415", kUnsupported}, {"422", kCorrupt}}));
  EXPECT_EQ(
      prometheus.Scalar("sum(conveyor_http_requests_total{route=\"/predict\",code=~\"2..\"})"),
      kOk);
  EXPECT_EQ(
      prometheus.Scalar("sum(conveyor_http_requests_total{route=\"/predict\",code=~\"[45]..\"})"),
      kUnsupported + kCorrupt);
  EXPECT_EQ(prometheus.Scalar(
                "conveyor_request_errors_total{job=\"conveyor\",kind=\"unsupported_media_type\"}"),
            kUnsupported);
  // The request-duration histogram saw every /predict request.
  EXPECT_EQ(
      prometheus.Scalar("sum(conveyor_http_request_duration_seconds_count{route=\"/predict\"})"),
      kOk + kUnsupported + kCorrupt);

  // Predictions by class: every class of the model is there, the sample's
  // class carries all of them, and they sum to the successful requests.
  std::map<std::string, double> by_class;
  for (const Sample& sample :
       prometheus.Query("conveyor_predictions_total{job=\"conveyor\",model=\"digits\"}")) {
    by_class[sample.labels["class"].get<std::string>()] = sample.value;
  }
  EXPECT_EQ(by_class.size(), 10u);
  EXPECT_EQ(by_class[expected_label_], kOk);
  EXPECT_EQ(prometheus.Scalar("sum(conveyor_predictions_total{job=\"conveyor\"})"), kOk);
  EXPECT_EQ(prometheus.Scalar("conveyor_prediction_score_count{job=\"conveyor\"}"), kOk);
  EXPECT_EQ(prometheus.Scalar("conveyor_prediction_score_bucket{job=\"conveyor\",le=\"+Inf\"}"),
            kOk);
  std::optional<double> average = prometheus.Scalar(
      "conveyor_prediction_score_sum{job=\"conveyor\"} / "
      "conveyor_prediction_score_count{job=\"conveyor\"}");
  ASSERT_TRUE(average.has_value());
  EXPECT_GT(*average, 0.1);
  EXPECT_LE(*average, 1.0);

  // The model being served.
  auto [metas, metas_status] = server_->Curl(server_->url() + "/get_experiment_metas");
  ASSERT_EQ(metas_status, 200);
  ASSERT_EQ(metas.size(), 1u);
  const std::string tag = metas[0]["tag"];
  std::vector<Sample> info = prometheus.Query("conveyor_model_info{job=\"conveyor\"}");
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].labels["model"], "digits");
  EXPECT_EQ(info[0].labels["tag"], tag);
  EXPECT_EQ(info[0].labels["version"], "1");
  EXPECT_EQ(info[0].value, 1);
  EXPECT_EQ(prometheus.Scalar("conveyor_model_swaps_total{job=\"conveyor\",result=\"success\"}"),
            1);
  std::optional<double> first_swap =
      prometheus.Scalar("conveyor_model_last_swap_timestamp_seconds{job=\"conveyor\"}");
  ASSERT_TRUE(first_swap.has_value());

  // A hot swap to the experiment's tag: a second successful swap, published
  // later, and the same model still described by one model-info series.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto [replaced, replace_status] =
      server_->Curl("-X POST '" + server_->url() + "/replace_ml_model?tag=" + tag + "'");
  ASSERT_EQ(replace_status, 200) << replaced.dump();
  prometheus.WaitForScrapeAfter(UnixNow() + 0.1);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(prometheus.Scalar("conveyor_model_swaps_total{job=\"conveyor\",result=\"success\"}"),
            2);
  EXPECT_EQ(prometheus.Scalar("conveyor_model_swaps_total{job=\"conveyor\",result=\"failure\"}"),
            0);
  std::optional<double> second_swap =
      prometheus.Scalar("conveyor_model_last_swap_timestamp_seconds{job=\"conveyor\"}");
  ASSERT_TRUE(second_swap.has_value());
  EXPECT_GT(*second_swap, *first_swap);
  info = prometheus.Query("conveyor_model_info{job=\"conveyor\"}");
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].labels["model"], "digits");
  EXPECT_EQ(info[0].labels["tag"], tag);
  EXPECT_EQ(info[0].labels["version"], "1");
  // The swap left the prediction counts alone.
  EXPECT_EQ(prometheus.Scalar("sum(conveyor_predictions_total{job=\"conveyor\"})"), kOk);
  EXPECT_EQ(prometheus.Scalar("ALERTS{alertname=\"ConveyorModelNotReady\",alertstate=\"firing\"}"),
            std::nullopt);

  // A swap to an unknown tag fails (the old model keeps serving): counted,
  // and the deployment's ConveyorModelSwapFailed alert (for: 0m) fires.
  EXPECT_EQ(server_->Curl("-X POST '" + server_->url() + "/replace_ml_model?tag=nope'").second,
            404);
  prometheus.WaitForScrapeAfter(UnixNow() + 0.1);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(prometheus.Scalar("conveyor_model_swaps_total{job=\"conveyor\",result=\"failure\"}"),
            1);
  EXPECT_EQ(prometheus.Query("conveyor_model_info{job=\"conveyor\"}").size(), 1u);
  std::optional<double> firing;
  for (int i = 0; i < testing::ScaledCount(100) && !firing; ++i) {
    firing = prometheus.Scalar(
        "ALERTS{alertname=\"ConveyorModelSwapFailed\",alertstate=\"firing\",severity=\"warning\"}");
    if (!firing) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_EQ(firing, 1) << "ConveyorModelSwapFailed did not fire in 10 s";

  // Prometheus 2.42 asked for OpenMetrics and got it: buckets stored with
  // OpenMetrics' canonical bounds ("1.0"; the 0.0.4 text writes "1").
  EXPECT_EQ(prometheus
                .Query("conveyor_http_request_duration_seconds_bucket{job=\"conveyor\","
                       "route=\"/predict\",le=\"1.0\"}")
                .size(),
            1u);

  // Drift. The successful swap above emptied the window. 300 of the
  // example's test images: like training, so low PSI and no drift alert.
  PredictTestImages(300, /*invert=*/false);
  ASSERT_FALSE(HasFatalFailure());
  prometheus.WaitForScrapeAfter(UnixNow() + 0.1);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(prometheus.Scalar("conveyor_drift_window_samples{job=\"conveyor\"}"), 300);
  std::optional<double> prediction_psi =
      prometheus.Scalar("conveyor_prediction_drift_psi{job=\"conveyor\",model=\"digits\"}");
  ASSERT_TRUE(prediction_psi.has_value());
  EXPECT_LT(*prediction_psi, 0.1);
  std::map<std::string, double> input_psi;
  for (const Sample& sample : prometheus.Query("conveyor_input_drift_psi{job=\"conveyor\"}"))
    input_psi[sample.labels["statistic"].get<std::string>()] = sample.value;
  ASSERT_EQ(input_psi.size(), 2u);
  EXPECT_LT(input_psi["mean_intensity"], 0.1);
  EXPECT_LT(input_psi["ink_fraction"], 0.1);
  std::printf("drift on test images: prediction %.4f, mean_intensity %.4f, ink_fraction %.4f\n",
              *prediction_psi, input_psi["mean_intensity"], input_psi["ink_fraction"]);
  EXPECT_TRUE(AlertStates("ConveyorInputDrift", "statistic").empty());
  EXPECT_TRUE(AlertStates("ConveyorPredictionDrift", "model").empty());

  // 1,000 of them inverted fill the window: the inputs' statistics move
  // far past 0.2 and both input drift alerts go pending (their `for` is 10
  // minutes, so they would fire later).
  PredictTestImages(1000, /*invert=*/true);
  ASSERT_FALSE(HasFatalFailure());
  prometheus.WaitForScrapeAfter(UnixNow() + 0.1);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(prometheus.Scalar("conveyor_drift_window_samples{job=\"conveyor\"}"), 1000);
  input_psi.clear();
  for (const Sample& sample : prometheus.Query("conveyor_input_drift_psi{job=\"conveyor\"}"))
    input_psi[sample.labels["statistic"].get<std::string>()] = sample.value;
  EXPECT_GT(input_psi["mean_intensity"], 0.2);
  EXPECT_GT(input_psi["ink_fraction"], 0.2);
  std::printf("drift on inverted test images: mean_intensity %.2f, ink_fraction %.2f\n",
              input_psi["mean_intensity"], input_psi["ink_fraction"]);
  std::map<std::string, std::string> drift_states;
  for (int i = 0; i < testing::ScaledCount(100); ++i) {
    drift_states = AlertStates("ConveyorInputDrift", "statistic");
    if (drift_states.size() == 2)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(drift_states, (std::map<std::string, std::string>{{"ink_fraction", "pending"},
                                                              {"mean_intensity", "pending"}}));

  prometheus.Stop();
  EXPECT_EQ(server_->Stop(), "0\n");
  serving_ = false;
}

// The loop from monitoring to retraining with the real components: inverted
// images push the input drift up; Prometheus, scraping conveyor every
// second, fires the drift alert (both statistics, one group); Debian's Alertmanager posts it, with
// a feedback-role token, to conveyor's /hooks/alertmanager; conveyor starts the retraining command
// once. Skipped when Alertmanager is absent (scripts/install-deps.sh installs it).
TEST_F(PrometheusTest, ADriftAlertReachesTheHookThroughAlertmanagerAndStartsRetraining) {
  if (::access(kAlertmanager, X_OK) != 0) {
    GTEST_SKIP() << kAlertmanager << " is absent: install Debian's prometheus-alertmanager "
                 << "(scripts/install-deps.sh)";
  }
  ASSERT_NO_FATAL_FAILURE(StartAlertmanager());
  DaemonProcess& alertmanager = *alertmanager_;
  // The deployment's drift rule waits 10 minutes; this one fires at once.
  WriteFile(dir_ / "fast_rules.yml",
            "groups:\n"
            "  - name: fast\n"
            "    rules:\n"
            "      - alert: ConveyorInputDrift\n"
            "        expr: conveyor_input_drift_psi > 0.2\n"
            "        labels: {severity: warning}\n");
  const std::string am_target = alertmanager.url().substr(std::string("http://").size());
  StartBoth(
      "--threads 2 --retrain-on ConveyorInputDrift --retrain-cooldown 600 "
      "--retrain-command 'echo \"$CONVEYOR_RETRAIN_ALERT\" >>retrained.txt'",
      "CONVEYOR_TOKENS=client=c1:predict,alertmanager=a1:feedback,ops=o1:admin ",
      (dir_ / "fast_rules.yml").string(),
      "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['" + am_target +
          "']\n");
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_FALSE(fs::exists(dir_ / "retrained.txt"));

  // 1,000 inverted test images fill the drift window.
  PredictTestImages(1000, /*invert=*/true, "-H 'Authorization: Bearer c1'");
  ASSERT_FALSE(HasFatalFailure());
  for (int i = 0; i < testing::ScaledCount(600) && !fs::exists(dir_ / "retrained.txt"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(dir_ / "retrained.txt"))
      << "no retraining run within 60 s\nconveyor:\n"
      << ReadFile(dir_ / "serve.err").substr(0, 4000) << "\nalertmanager:\n"
      << alertmanager.Log() << "\nprometheus:\n"
      << prometheus_->Log();
  // Alertmanager repeats the firing group; the cool-down keeps it to one run.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(ReadFile(dir_ / "retrained.txt"), "ConveyorInputDrift\n");
  std::string log = ReadFile(dir_ / "serve.err");
  EXPECT_NE(log.find("retraining run 1: ConveyorInputDrift is firing"), std::string::npos)
      << log.substr(0, 4000);
  EXPECT_NE(log.find("\"principal\":\"alertmanager\""), std::string::npos)
      << "the hook was called with Alertmanager's token";
}

// The whole loop of issue 10 on the digits example, every part real:
// production (digits v1) served by two replicas following digits@production
// (separate checkouts sharing the registry and the cache, as on two
// machines with a shared cache), Prometheus scraping the first, Debian's
// Alertmanager posting to its hook. Inverted digits arrive; a labelling
// tool sends their true labels; the drift alert fires; the hook runs the
// retraining command: export the logged labelled inputs (holding some out),
// `conveyor repro`, then a promotion gated on accuracy with both versions
// scored on the same data: the held-out inputs and the run's test split.
// Requests flow to both replicas throughout.
class ClosedLoopTest : public PrometheusTest {
 protected:
  void SetUp() override {
    PrometheusTest::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    if (::access(kAlertmanager, X_OK) != 0) {
      GTEST_SKIP() << kAlertmanager << " is absent: install Debian's prometheus-alertmanager "
                   << "(scripts/install-deps.sh)";
    }
    ASSERT_EQ(
        testing::RunConveyor(dir_.path(), "model promote digits@1 production", env_).exit_code, 0);
    Result<ml::SampleSet> test = ml::ReadSamples(dir_ / "work/test_raw.samples");
    ASSERT_TRUE(test.ok()) << test.status().message();
    ASSERT_EQ(test->size(), 1000u);
    test_ = std::move(*test);
  }

  void TearDown() override {
    Shell(dir_.path(), "touch stop replica2/stop");
    if (replica_)
      replica_->Stop();
    PrometheusTest::TearDown();
  }

  // Starts Alertmanager, the first replica (with the prediction log, the
  // hook and `retrain` as its command) and Prometheus, then the second
  // replica, then a request loop against each.
  void StartLoop(const std::string& retrain) {
    StartAlertmanager();
    ASSERT_FALSE(HasFatalFailure());
    WriteFile(dir_ / "fast_rules.yml",
              "groups:\n  - name: fast\n    rules:\n      - alert: ConveyorInputDrift\n"
              "        expr: conveyor_input_drift_psi > 0.2\n");
    const std::string am_target = alertmanager_->url().substr(std::string("http://").size());
    // The drift gauges appear only once the window is full (1,000 rows), so
    // the alert cannot fire before the first 900 rows' labels are logged.
    StartBoth(
        "--threads 2 -m digits@production --follow-interval 0.2 --log-predictions logs "
        "--drift-window 1000 --drift-min-samples 1000 --retrain-on ConveyorInputDrift "
        "--retrain-cooldown 600 --retrain-command " +
            ShellQuote(retrain),
        env_ + kTokens, (dir_ / "fast_rules.yml").string(),
        "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['" + am_target +
            "']\n");
    ASSERT_FALSE(HasFatalFailure());

    const fs::path other = dir_ / "replica2";
    ASSERT_EQ(Shell(dir_.path(),
                    "mkdir replica2 && tar --exclude=./replica2 --exclude=./prometheus "
                    "--exclude=./alertmanager --exclude=./logs --exclude=./serve.* "
                    "--exclude=./pid --exclude=./rc --exclude=./.dvc/cache -cf - . | "
                    "tar -xf - -C replica2"),
              0);
    WriteFile(other / ".dvc/config.local",
              "[cache]\n    dir = " + (dir_ / ".dvc/cache").string() + "\n");
    replica_.emplace(other);
    replica_->Start("--threads 2 -m digits@production --follow-interval 0.2 --registry " +
                        (dir_ / ".conveyor/registry.db").string(),
                    kTokens);
    ASSERT_FALSE(HasFatalFailure());
  }

  // A request every 50 ms or so against each replica until StopLoops: few
  // enough that the drift window stays mostly inverted digits.
  void StartLoops() {
    const std::string auth = "-H 'Authorization: Bearer c1'";
    for (auto [dir, server] :
         {std::pair{dir_.path(), &*server_}, std::pair{dir_ / "replica2", &*replica_}}) {
      std::string loop = testing::PredictLoop(server->url(), 20000, "codes", auth);
      loop.replace(loop.find("; done"), 6, "; sleep 0.05; done");
      ASSERT_EQ(Shell(dir, loop), 0);
    }
  }

  // Sends test rows [from, to), inverted, as one request with id `id` to
  // `server`; the share it got right.
  double PredictInverted(testing::ServeProcess& server, size_t from, size_t to,
                         const std::string& id) {
    Json instances = Json::array();
    for (size_t i = from; i < to; ++i) {
      Json row = Json::array();
      for (float pixel : test_.sample(i))
        row.push_back(static_cast<int>(255 - pixel));
      instances.push_back(std::move(row));
    }
    WriteFile(dir_ / "instances.json", Json{{"instances", instances}}.dump());
    auto [body, code] =
        server.Curl("-H 'Authorization: Bearer c1' -H 'X-Request-Id: " + id +
                    "' -H 'Content-Type: application/json' --data-binary @" +
                    (dir_ / "instances.json").string() + " " + server.url() + "/predict");
    EXPECT_EQ(code, 200) << body.dump().substr(0, 300);
    size_t right = 0;
    for (size_t i = from; i < to && body.contains("predictions"); ++i) {
      right += body["predictions"][i - from]["label"] == std::to_string(test_.labels[i]);
    }
    return static_cast<double>(right) / static_cast<double>(to - from);
  }

  // The labelling tool sends the true labels of rows [from, to) of `id`.
  void SendLabels(size_t from, size_t to, const std::string& id) {
    Json items = Json::array();
    for (size_t i = from; i < to; ++i)
      items.push_back({{"request_id", id}, {"row", i - from}, {"label", test_.labels[i]}});
    WriteFile(dir_ / "labels.json", items.dump());
    auto [body, code] = server_->Curl(
        "-H 'Authorization: Bearer l1' -H 'Content-Type: application/json' --data-binary "
        "@labels.json " +
        server_->url() + "/feedback");
    ASSERT_EQ(code, 200) << body.dump().substr(0, 300);
    EXPECT_EQ(body["accepted"], to - from);
  }

  // The inverted digits arrive and are labelled; the request loops start;
  // the last inverted digits fill the drift window, so the alert fires and
  // the retraining run starts. Returns v1's accuracy on the first 900.
  double DriveDrift() {
    const double v1 = PredictInverted(*server_, 0, 900, "inverted-1");
    SendLabels(0, 900, "inverted-1");
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the log's flush: 200 ms
    StartLoops();
    PredictInverted(*server_, 900, 1000, "inverted-2");
    return v1;
  }

  // The gate's line of a retraining run's log, kept as the test's "gate"
  // property (--gtest_output=xml shows it): the figures docs/serving.md quotes.
  void RecordGate(const std::string& run) {
    const size_t at = run.find("digits@production: ");
    if (at != std::string::npos)
      RecordProperty("gate", run.substr(at, run.find('\n', at) - at));
  }

  // The retraining run's log once it has finished (its last line is the
  // gate's decision), or "" after `limit`.
  std::string WaitForRetraining(std::chrono::seconds limit) {
    const auto deadline = Clock::now() + testing::Scaled(limit);
    while (Clock::now() < deadline) {
      std::string log = ReadFile(dir_ / "serve.err");
      if (log.find("retraining run 1 succeeded") != std::string::npos ||
          log.find("retraining run 1 failed") != std::string::npos) {
        std::string text;
        for (const auto& entry : fs::directory_iterator(dir_ / ".conveyor/retrain"))
          text += ReadFile(entry.path());
        return text;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return "";
  }

  int ServedVersion(testing::ServeProcess& server) {
    return server
        .Curl("-H 'Authorization: Bearer c1' -F file=@" + (dir_ / "sample.png").string() + " " +
              server.url() + "/predict")
        .first["model"]
        .value("version", 0);
  }

  // Stops both request loops and returns the versions each saw.
  std::pair<std::vector<int>, std::vector<int>> StopLoops() {
    Shell(dir_.path(), "touch stop replica2/stop");
    // A curl in flight ends (within its 10 s --max-time).
    EXPECT_TRUE(testing::WaitUntil(std::chrono::milliseconds(15000), [&] {
      return testing::PredictLoopEnded(dir_ / "codes") &&
             testing::PredictLoopEnded(dir_ / "replica2/codes");
    }));
    return {testing::VersionsSeen(dir_ / "codes"), testing::VersionsSeen(dir_ / "replica2/codes")};
  }

  static constexpr const char* kTokens =
      "CONVEYOR_TOKENS=client=c1:predict,labeller=l1:feedback,alertmanager=a1:feedback ";
  ml::SampleSet test_;
  std::optional<testing::ServeProcess> replica_;
};

TEST_F(ClosedLoopTest, DriftRetrainsOnTheLabelledInputsAndBothReplicasSwapToTheBetterModel) {
  const std::string conveyor = ShellQuote(std::getenv("CONVEYOR_BIN"));
  StartLoop(conveyor +
            " feedback export logs -o data/feedback.samples --holdout 0.3 --holdout-out "
            "holdout.samples && " +
            conveyor + " repro && " + conveyor +
            " model promote digits@latest production --if-better accuracy:0.1 --evaluate-on "
            "holdout.samples --evaluate-on work/test_raw.samples");
  ASSERT_FALSE(HasFatalFailure());
  const double before = DriveDrift();
  EXPECT_LT(before, 0.5) << "v1 should do badly on inverted digits";

  const std::string run = WaitForRetraining(std::chrono::seconds(150));
  ASSERT_NE(run, "") << "no retraining within "
                     << testing::Scaled(std::chrono::seconds(150)).count() << " ms\n"
                     << ReadFile(dir_ / "serve.err").substr(0, 4000) << alertmanager_->Log();
  RecordGate(run);
  EXPECT_NE(run.find("digits@production: v1 -> v2 (accuracy "), std::string::npos) << run;
  // Both replicas follow by themselves.
  bool both = false;
  for (int i = 0; i < testing::ScaledCount(150) && !both; ++i) {
    both = ServedVersion(*server_) == 2 && ServedVersion(*replica_) == 2;
    if (!both)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(both) << ReadFile(dir_ / "serve.err").substr(0, 3000)
                    << ReadFile(dir_ / "replica2/serve.err");
  // The loops meet v2 too.
  EXPECT_TRUE(testing::WaitUntil(std::chrono::milliseconds(15000), [&] {
    return testing::LastVersionAnswered(dir_ / "codes") == 2 &&
           testing::LastVersionAnswered(dir_ / "replica2/codes") == 2;
  }));
  auto [first, second] = StopLoops();
  EXPECT_EQ(first, (std::vector<int>{1, 2})) << "every request answered, v1 then v2";
  EXPECT_EQ(second, (std::vector<int>{1, 2})) << ReadFile(dir_ / "replica2/codes").substr(0, 2000);

  // Accuracy on the new inputs recovers: the held-out ones, which no model
  // trained on, sent to the second replica.
  Result<ml::SampleSet> holdout = ml::ReadSamples(dir_ / "holdout.samples");
  ASSERT_TRUE(holdout.ok()) << holdout.status().message();
  // 900 labelled: about 30% held out (by a hash of request id and row), the
  // rest trained on.
  EXPECT_GT(holdout->size(), 200u);
  EXPECT_LT(holdout->size(), 340u);
  EXPECT_NE(run.find(fmt::format("({} from data/feedback.samples)", 900 - holdout->size())),
            std::string::npos)
      << run;
  Json instances = Json::array();
  for (size_t i = 0; i < holdout->size(); ++i) {
    Json row = Json::array();
    for (float pixel : holdout->sample(i))
      row.push_back(static_cast<int>(pixel));
    instances.push_back(std::move(row));
  }
  WriteFile(dir_ / "holdout.json", Json{{"instances", instances}}.dump());
  auto [body, code] = replica_->Curl(
      "-H 'Authorization: Bearer c1' -H 'Content-Type: "
      "application/json' --data-binary @" +
      (dir_ / "holdout.json").string() + " " + replica_->url() + "/predict");
  ASSERT_EQ(code, 200);
  size_t right = 0;
  for (size_t i = 0; i < holdout->size(); ++i)
    right += body["predictions"][i]["label"] == std::to_string(holdout->labels[i]);
  const double after = static_cast<double>(right) / static_cast<double>(holdout->size());
  RecordProperty("accuracy_on_held_out_inverted",
                 fmt::format("v1 {:.3f}, v2 {:.3f}", before, after));
  EXPECT_GT(after, 0.75) << "before: " << before;
  EXPECT_GT(after, before + 0.5);
}

// The same loop with a retraining run that forgets the new data and trains
// a stump. Scored on what production sees now — the held-out inverted
// digits and the pipeline's own test split of ordinary ones, which neither
// version trained on (the data did not change, so the split is v1's) — it
// is worse than v1; production and both replicas stay on v1, and the
// refusal is in the alias history.
TEST_F(ClosedLoopTest, AWorseChallengerLeavesProductionAndBothReplicasAlone) {
  const std::string conveyor = ShellQuote(std::getenv("CONVEYOR_BIN"));
  StartLoop(conveyor +
            " feedback export logs -o unused.samples --holdout 0.3 --holdout-out "
            "holdout.samples && " +
            conveyor + " exp run -S train.n_estimators=2 -S train.max_depth=1 && " + conveyor +
            " model promote digits@latest production --if-better accuracy:0.1 --evaluate-on "
            "holdout.samples --evaluate-on work/test_raw.samples");
  ASSERT_FALSE(HasFatalFailure());
  DriveDrift();
  const std::string run = WaitForRetraining(std::chrono::seconds(150));
  ASSERT_NE(run, "") << "no retraining within "
                     << testing::Scaled(std::chrono::seconds(150)).count() << " ms\n"
                     << ReadFile(dir_ / "serve.err").substr(0, 4000);
  RecordGate(run);
  EXPECT_NE(run.find("digits@production: kept v1, not v2 (accuracy "), std::string::npos) << run;
  EXPECT_NE(run.find(" is worse than v1's "), std::string::npos) << run;
  std::this_thread::sleep_for(std::chrono::seconds(1));  // five follow intervals
  EXPECT_EQ(ServedVersion(*server_), 1);
  EXPECT_EQ(ServedVersion(*replica_), 1);
  auto [first, second] = StopLoops();
  EXPECT_EQ(first, std::vector<int>{1});
  EXPECT_EQ(second, std::vector<int>{1});
  auto history = testing::RunConveyor(dir_.path(), "model show digits@1 --json", env_);
  EXPECT_NE(history.out.find("kept over v2"), std::string::npos) << history.out;
}

}  // namespace
}  // namespace conveyor
