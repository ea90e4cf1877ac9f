// The hook for prediction metrics: the handlers that predict (ModelService's
// /predict, KserveV2's infer) report each successful prediction call to a
// PredictionObserver, so model code never depends on a metrics library.
#pragma once

#include <chrono>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "serving/served_model.h"

namespace conveyor::serving {

// Thread safety: OnPredictions is called concurrently from request threads
// and must be thread-safe and quick (it runs on the request's thread, before
// the response is sent).
class PredictionObserver {
 public:
  virtual ~PredictionObserver() = default;
  // After `model` answered one request's rows `inputs` (preprocessed, as
  // the classifier saw them) with `predictions` (one per row, in order), the
  // backend call having taken `duration` (batching's wait included), for
  // the request `request_id` (its X-Request-Id). Not called when the
  // prediction failed.
  virtual void OnPredictions(const ServedModel& model, const FeatureRows& inputs,
                             std::span<const Prediction> predictions,
                             std::chrono::nanoseconds duration, std::string_view request_id) = 0;
};

// Tells several observers, in order (metrics, the feedback tracker). The
// list is fixed at construction; the observers must outlive it.
class PredictionObservers : public PredictionObserver {
 public:
  explicit PredictionObservers(std::vector<PredictionObserver*> observers)
      : observers_(std::move(observers)) {}
  void OnPredictions(const ServedModel& model, const FeatureRows& inputs,
                     std::span<const Prediction> predictions, std::chrono::nanoseconds duration,
                     std::string_view request_id) override {
    for (PredictionObserver* observer : observers_)
      observer->OnPredictions(model, inputs, predictions, duration, request_id);
  }

 private:
  const std::vector<PredictionObserver*> observers_;
};

}  // namespace conveyor::serving
