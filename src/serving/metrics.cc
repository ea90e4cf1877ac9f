#include "serving/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <sstream>
#include <vector>

#include "serving/feedback_metrics.h"
#include "serving/histogram_family.h"
#include "serving/openmetrics.h"
#include "serving/process_metrics.h"

namespace conveyor::serving {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;

// Request latency and inference time: 100 us to 10 s.
const std::vector<double> kSecondsBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                             0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                             1,      2.5,     5,      10};
// Request and response sizes: 64 B to 16 MiB by 4x (the body limit is 10 MiB).
const std::vector<double> kBytesBuckets = {64,    256,    1024,    4096,    16384,
                                           65536, 262144, 1048576, 4194304, 16777216};
// The winning probability lies in [1/classes, 1]; finer near 1, where a
// confident model's scores gather.
const std::vector<double> kScoreBuckets = {0.1, 0.2, 0.3, 0.4,  0.5,  0.6,
                                           0.7, 0.8, 0.9, 0.95, 0.99, 0.999};

// The error kinds the handlers and the transport answer with (JsonError
// codes): their counters exist from the start, at 0.
constexpr std::array<std::string_view, 19> kErrorKinds = {
    "bad_request",         "header_too_large",       "internal",       "invalid_feedback",
    "invalid_input",       "invalid_json",           "invalid_query",  "invalid_request",
    "invalid_tag",         "method_not_allowed",     "not_found",      "not_ready",
    "payload_too_large",   "prediction_failed",      "registry_error", "replace_failed",
    "service_unavailable", "unsupported_media_type", "other"};

double Seconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double>(duration).count();
}

uint64_t Fnv1a(uint64_t hash, std::string_view text) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

uint64_t RequestKey(std::string_view route, std::string_view method, int code) {
  uint64_t hash = Fnv1a(14695981039346656037ULL, route);
  hash = Fnv1a(hash ^ 0xff, method);
  return (hash ^ static_cast<uint64_t>(code)) * 1099511628211ULL;
}

// Everything one (route, method, code) records into. Immutable once
// published in the table.
struct RequestSeries {
  uint64_t key = 0;
  std::string route;
  std::string_view method;  // a MethodLabel constant
  int code = 0;
  Counter* requests = nullptr;
  AtomicHistogram* duration = nullptr;
  AtomicHistogram* request_size = nullptr;
  AtomicHistogram* response_size = nullptr;
};

// What one model (name and class labels) records into.
struct ModelSeries {
  std::string name;
  std::vector<std::string> labels;
  std::vector<Counter*> by_class;  // one per label
  AtomicHistogram* score = nullptr;
  AtomicHistogram* inference = nullptr;
};

}  // namespace

std::string_view MethodLabel(std::string_view method) {
  static constexpr std::array<std::string_view, 9> kMethods = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"};
  for (std::string_view known : kMethods) {
    if (method == known)
      return known;
  }
  return "other";
}

class ServingMetrics::Impl {
 public:
  explicit Impl(ServingMetricsOptions options)
      : options_(std::move(options)),
        requests_(prometheus::BuildCounter()
                      .Name("conveyor_http_requests_total")
                      .Help("HTTP requests answered, by route pattern, method and status code.")
                      .Register(registry_)),
        in_flight_(prometheus::BuildGauge()
                       .Name("conveyor_http_requests_in_flight")
                       .Help("HTTP requests being handled right now.")
                       .Register(registry_)
                       .Add({})),
        errors_(prometheus::BuildCounter()
                    .Name("conveyor_request_errors_total")
                    .Help("Error responses by kind (the error code of the response body).")
                    .Register(registry_)),
        predictions_(prometheus::BuildCounter()
                         .Name("conveyor_predictions_total")
                         .Help("Rows predicted, by model and predicted class label.")
                         .Register(registry_)),
        model_info_(prometheus::BuildGauge()
                        .Name("conveyor_model_info")
                        .Help("The model being served (value 1), by name, experiment tag and "
                              "registry version.")
                        .Register(registry_)),
        swaps_(prometheus::BuildCounter()
                   .Name("conveyor_model_swaps_total")
                   .Help("Model loads and hot swaps (the first load included), by result.")
                   .Register(registry_)),
        swap_success_(swaps_.Add({{"result", "success"}})),
        swap_failure_(swaps_.Add({{"result", "failure"}})),
        last_swap_(prometheus::BuildGauge()
                       .Name("conveyor_model_last_swap_timestamp_seconds")
                       .Help("When the model being served was published, in seconds since the "
                             "Unix epoch.")
                       .Register(registry_)
                       .Add({})),
        duration_("conveyor_http_request_duration_seconds",
                  "Time from the start of reading a request to its response written.",
                  {"route", "method"}, kSecondsBuckets),
        request_size_("conveyor_http_request_size_bytes",
                      "Request sizes as read from the socket (header and body).", {"route"},
                      kBytesBuckets),
        response_size_("conveyor_http_response_size_bytes",
                       "Response sizes as written to the socket (header and body).", {"route"},
                       kBytesBuckets),
        score_("conveyor_prediction_score",
               "The winning class's probability, one observation per row.", {"model"},
               kScoreBuckets),
        inference_("conveyor_inference_duration_seconds",
                   "Time of one backend prediction call (a request's rows, batching's wait "
                   "included).",
                   {"model"}, kSecondsBuckets),
        process_(options_.proc_dir),
        drift_(options_.drift) {
    for (size_t i = 0; i < kErrorKinds.size(); ++i)
      error_by_kind_[i] = &errors_.Add({{"kind", std::string(kErrorKinds[i])}});
  }

  void OnRequest(const RequestRecord& record) {
    const RequestSeries& series = Series(record.route, MethodLabel(record.method), record.status);
    series.requests->Increment();
    series.duration->Observe(static_cast<double>(record.duration.count()) / 1e6);
    series.request_size->Observe(static_cast<double>(record.request_bytes));
    series.response_size->Observe(static_cast<double>(record.response_bytes));
    if (!record.error_kind.empty())
      ErrorCounter(record.error_kind).Increment();
  }

  void OnPredictions(const ServedModel& model, const FeatureRows& inputs,
                     std::span<const Prediction> predictions, std::chrono::nanoseconds duration) {
    drift_.OnPredictions(model, predictions, inputs);
    const ModelSeries& series = SeriesFor(model);
    series.inference->Observe(Seconds(duration));
    for (const Prediction& prediction : predictions) {
      const auto index = static_cast<size_t>(prediction.class_index);
      if (prediction.class_index < 0 || index >= series.by_class.size() ||
          index >= prediction.probabilities.size())
        continue;  // ServedModel guarantees neither; nothing sane to count
      series.by_class[index]->Increment();
      series.score->Observe(prediction.probabilities[index]);
    }
  }

  void OnSwapped(const ServedModel& model) {
    SeriesFor(model);  // resolve before the first request needs it
    drift_.OnSwapped(model);
    const ModelIdentity& id = model.identity();
    std::lock_guard lock(swap_mu_);
    served_ = id;
    served_labels_ = model.spec().labels;
    if (info_ != nullptr)
      model_info_.Remove(info_);
    info_ = &model_info_.Add(
        {{"model", id.name}, {"tag", id.experiment_tag}, {"version", std::to_string(id.version)}});
    info_->Set(1);
    swap_success_.Increment();
    last_swap_.Set(std::chrono::duration<double>(options_.now().time_since_epoch()).count());
  }

  void OnSwapFailed() { swap_failure_.Increment(); }

  void SetInFlightSource(std::function<int64_t()> source) { in_flight_source_ = std::move(source); }
  void SetFeedbackSource(const FeedbackTracker* tracker, size_t min_outcomes) {
    feedback_ = tracker;
    feedback_min_outcomes_ = min_outcomes;
  }

  std::vector<prometheus::MetricFamily> Collect() {
    if (in_flight_source_)
      in_flight_.Set(static_cast<double>(in_flight_source_()));
    std::vector<prometheus::MetricFamily> families = registry_.Collect();
    for (const HistogramFamily* histograms :
         {&duration_, &request_size_, &response_size_, &score_, &inference_}) {
      for (prometheus::MetricFamily& family : histograms->Collect())
        families.push_back(std::move(family));
    }
    for (prometheus::MetricFamily& family : drift_.Collect())
      families.push_back(std::move(family));
    if (feedback_ != nullptr) {
      std::unique_lock lock(swap_mu_);
      ModelIdentity served = served_;
      std::vector<std::string> labels = served_labels_;
      lock.unlock();
      if (!served.name.empty()) {
        for (prometheus::MetricFamily& family : FeedbackFamilies(
                 feedback_->Report(served.name, served.version), labels, feedback_min_outcomes_))
          families.push_back(std::move(family));
      }
    }
    if (!options_.proc_dir.empty()) {
      for (prometheus::MetricFamily& family : process_.Collect())
        families.push_back(std::move(family));
    }
    std::sort(families.begin(), families.end(),
              [](const prometheus::MetricFamily& a, const prometheus::MetricFamily& b) {
                return a.name < b.name;
              });
    return families;
  }

 private:
  static constexpr size_t kSlots = 1024;  // a power of two
  static constexpr size_t kMaxProbes = 16;

  // The series of (route, method, code): lock-free when already in the table.
  const RequestSeries& Series(std::string_view route, std::string_view method, int code) {
    const uint64_t key = RequestKey(route, method, code);
    for (size_t probe = 0; probe < kMaxProbes; ++probe) {
      const RequestSeries* series =
          slots_[(key + probe) & (kSlots - 1)].load(std::memory_order_acquire);
      if (series == nullptr)
        break;
      if (series->key == key && series->code == code && series->method == method &&
          series->route == route)
        return *series;
    }
    return AddSeries(key, route, method, code);
  }

  const RequestSeries& AddSeries(uint64_t key, std::string_view route, std::string_view method,
                                 int code) {
    std::lock_guard lock(series_mu_);
    // Another thread may have added it meanwhile: look again under the lock
    // (inserts only happen under it).
    size_t free_slot = kSlots;
    for (size_t probe = 0; probe < kMaxProbes; ++probe) {
      const size_t slot = (key + probe) & (kSlots - 1);
      const RequestSeries* series = slots_[slot].load(std::memory_order_acquire);
      if (series == nullptr) {
        free_slot = slot;
        break;
      }
      if (series->key == key && series->code == code && series->method == method &&
          series->route == route)
        return *series;
    }
    auto series = std::make_unique<RequestSeries>();
    series->key = key;
    series->route = std::string(route);
    series->method = method;
    series->code = code;
    series->requests = &requests_.Add({{"route", series->route},
                                       {"method", std::string(method)},
                                       {"code", std::to_string(code)}});
    series->duration = &duration_.WithLabels({series->route, std::string(method)});
    series->request_size = &request_size_.WithLabels({series->route});
    series->response_size = &response_size_.WithLabels({series->route});
    // With the probe window full, the series is kept but not published: it
    // is found under the lock from then on (slower, still correct).
    if (free_slot != kSlots)
      slots_[free_slot].store(series.get(), std::memory_order_release);
    request_series_.push_back(std::move(series));
    return *request_series_.back();
  }

  Counter& ErrorCounter(std::string_view kind) {
    for (size_t i = 0; i < kErrorKinds.size(); ++i) {
      if (kErrorKinds[i] == kind)
        return *error_by_kind_[i];
    }
    return *error_by_kind_.back();  // "other": kinds stay a bounded set
  }

  const ModelSeries& SeriesFor(const ServedModel& model) {
    const ModelSeries* current = current_model_.load(std::memory_order_acquire);
    if (current != nullptr && current->name == model.identity().name &&
        current->labels == model.spec().labels)
      return *current;
    std::lock_guard lock(model_mu_);
    for (const auto& series : model_series_) {
      if (series->name == model.identity().name && series->labels == model.spec().labels) {
        current_model_.store(series.get(), std::memory_order_release);
        return *series;
      }
    }
    auto series = std::make_unique<ModelSeries>();
    series->name = model.identity().name;
    series->labels = model.spec().labels;
    for (const std::string& label : series->labels)
      series->by_class.push_back(&predictions_.Add({{"model", series->name}, {"class", label}}));
    series->score = &score_.WithLabels({series->name});
    series->inference = &inference_.WithLabels({series->name});
    current_model_.store(series.get(), std::memory_order_release);
    model_series_.push_back(std::move(series));
    return *model_series_.back();
  }

  // Constant after construction (the families are internally synchronised).
  const ServingMetricsOptions options_;
  prometheus::Registry registry_;
  Family<Counter>& requests_;
  Gauge& in_flight_;
  Family<Counter>& errors_;
  Family<Counter>& predictions_;
  Family<Gauge>& model_info_;
  Family<Counter>& swaps_;
  Counter& swap_success_;
  Counter& swap_failure_;
  Gauge& last_swap_;
  HistogramFamily duration_;
  HistogramFamily request_size_;
  HistogramFamily response_size_;
  HistogramFamily score_;
  HistogramFamily inference_;
  ProcessCollector process_;
  DriftMonitor drift_;  // internally synchronised
  std::array<Counter*, kErrorKinds.size()> error_by_kind_{};
  std::function<int64_t()> in_flight_source_;  // set before serving

  // The lock-free table of request series: slots are written under
  // series_mu_ only, read without it.
  std::array<std::atomic<const RequestSeries*>, kSlots> slots_{};
  std::mutex series_mu_;
  std::vector<std::unique_ptr<RequestSeries>> request_series_;  // guarded by series_mu_

  // The model last predicted with; every ModelSeries lives as long as this.
  std::atomic<const ModelSeries*> current_model_{nullptr};
  std::mutex model_mu_;
  std::vector<std::unique_ptr<ModelSeries>> model_series_;  // guarded by model_mu_

  std::mutex swap_mu_;
  Gauge* info_ = nullptr;                   // guarded by swap_mu_
  ModelIdentity served_;                    // guarded by swap_mu_
  std::vector<std::string> served_labels_;  // guarded by swap_mu_

  const FeedbackTracker* feedback_ = nullptr;  // set before serving
  size_t feedback_min_outcomes_ = 0;
};

ServingMetrics::ServingMetrics(ServingMetricsOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

ServingMetrics::~ServingMetrics() = default;

void ServingMetrics::SetInFlightSource(std::function<int64_t()> source) {
  impl_->SetInFlightSource(std::move(source));
}

Status ServingMetrics::AddRoute(Router& router) {
  return router.Add("GET", kMetricsRoute, "metrics",
                    [this](HttpRequest& request) { return Handle(request); });
}

void ServingMetrics::OnRequest(const RequestRecord& record) { impl_->OnRequest(record); }

void ServingMetrics::SetFeedbackSource(const FeedbackTracker* tracker, size_t min_outcomes) {
  impl_->SetFeedbackSource(tracker, min_outcomes);
}

void ServingMetrics::OnPredictions(const ServedModel& model, const FeatureRows& inputs,
                                   std::span<const Prediction> predictions,
                                   std::chrono::nanoseconds duration,
                                   std::string_view /*request_id*/) {
  impl_->OnPredictions(model, inputs, predictions, duration);
}

void ServingMetrics::OnSwapped(const ServedModel& model) { impl_->OnSwapped(model); }

void ServingMetrics::OnSwapFailed(std::string_view /*reference*/, const Status& /*why*/) {
  impl_->OnSwapFailed();
}

std::string ServingMetrics::Serialize(MetricsFormat format) const {
  const std::vector<prometheus::MetricFamily> families = impl_->Collect();
  if (format == MetricsFormat::kOpenMetrics)
    return SerializeOpenMetrics(families);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

HttpResponse ServingMetrics::Handle(const HttpRequest& request) const {
  const MetricsFormat format = NegotiateMetricsFormat(request.Header("accept"));
  HttpResponse response;
  response.content_type =
      std::string(format == MetricsFormat::kOpenMetrics ? kOpenMetricsType : kPrometheusTextType);
  response.body = Serialize(format);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace conveyor::serving
