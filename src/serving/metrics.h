// ServingMetrics: the server's Prometheus metrics and their GET /metrics.
//
// One object is the RequestObserver of the HTTP server (requests, sizes,
// durations, errors), the PredictionObserver of the predicting handlers
// (predictions by class, the winning probability, inference time) and the
// SwapObserver of the ModelManager (model info, swaps); it feeds the drift
// monitor (drift_monitor.h) from the same calls. It owns a
// prometheus-cpp Registry; GET /metrics serialises it with prometheus-cpp's
// TextSerializer (text format 0.0.4) or, when the scraper asks for it, as
// OpenMetrics 1.0 (openmetrics.h). docs/serving.md lists every series.
//
//   ServingMetrics metrics;
//   ModelManager manager(loader, {}, &metrics);
//   ModelService service(manager, store, name, {}, &metrics);
//   ...routes...; RETURN_IF_ERROR(metrics.AddRoute(router));
//   HttpServer server(router, {&access_log, &metrics});
//   metrics.SetInFlightSource([&server] { return server.requests_in_flight(); });
//
// Cost on the request path, with no lock taken once a series exists: a
// request resolves its (route, method, code) series through a lock-free
// open-addressed table (a hash, a probe, a string compare), then bumps a
// prometheus-cpp Counter (an atomic compare-and-swap) and three lock-free
// histograms (histogram_family.h). A prediction compares the model's name
// and labels with the cached ones and bumps per-class counters resolved at
// swap time. A series is created under a mutex the first time its labels
// are seen.
//
// Label values are bounded: route is the pattern (RequestRecord.route),
// method is one of the standard methods or "other", code an HTTP status,
// kind an error code from the handlers, model and class come from the
// served model's spec.
//
// Thread safety: the observer calls and Serialize/Handle may run on any
// number of threads at once. SetInFlightSource and AddRoute must be called
// before the server starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "serving/drift_monitor.h"
#include "serving/feedback_tracker.h"
#include "serving/http_types.h"
#include "serving/model_manager.h"
#include "serving/openmetrics.h"
#include "serving/prediction_observer.h"
#include "serving/request_observer.h"
#include "serving/router.h"

namespace conveyor::serving {

inline constexpr std::string_view kMetricsRoute = "/metrics";
// The Content-Type of the text exposition format 0.0.4.
inline constexpr std::string_view kPrometheusTextType = "text/plain; version=0.0.4; charset=utf-8";

struct ServingMetricsOptions {
  // Where the process_* metrics are read from (process_metrics.h); empty:
  // no process metrics.
  std::filesystem::path proc_dir = "/proc";
  // The wall clock, for conveyor_model_last_swap_timestamp_seconds.
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
  // The drift window and its PSI gauges (drift_monitor.h).
  DriftOptions drift;
};

class ServingMetrics : public RequestObserver, public PredictionObserver, public SwapObserver {
 public:
  explicit ServingMetrics(ServingMetricsOptions options = {});
  ~ServingMetrics() override;
  ServingMetrics(const ServingMetrics&) = delete;
  ServingMetrics& operator=(const ServingMetrics&) = delete;

  // conveyor_http_requests_in_flight is `source()` at each scrape
  // (HttpServer::requests_in_flight). Default: 0.
  void SetInFlightSource(std::function<int64_t()> source);

  // Adds the feedback series (feedback_metrics.h) for the served model, from
  // `tracker` at each scrape; the quality gauges once `min_outcomes` are in
  // the window. `tracker` must outlive the metrics; call before serving.
  void SetFeedbackSource(const FeedbackTracker* tracker, size_t min_outcomes);

  // Registers GET /metrics (kMetricsRoute) answering Handle. `this` must
  // outlive the router's use.
  Status AddRoute(Router& router);

  void OnRequest(const RequestRecord& record) override;
  void OnPredictions(const ServedModel& model, const FeatureRows& inputs,
                     std::span<const Prediction> predictions, std::chrono::nanoseconds duration,
                     std::string_view request_id) override;
  void OnSwapped(const ServedModel& model) override;
  void OnSwapFailed(std::string_view reference, const Status& why) override;

  // Every series, in the text exposition format 0.0.4 (prometheus-cpp's
  // TextSerializer) or OpenMetrics 1.0 (openmetrics.h).
  std::string Serialize(MetricsFormat format = MetricsFormat::kPrometheusText) const;
  // GET /metrics: Serialize() in the format the Accept header asks for
  // (NegotiateMetricsFormat; Prometheus prefers OpenMetrics), with its
  // Content-Type (kOpenMetricsType or kPrometheusTextType).
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT",
// "TRACE" as they are; any other method "other" (a bounded label).
std::string_view MethodLabel(std::string_view method);

}  // namespace conveyor::serving
