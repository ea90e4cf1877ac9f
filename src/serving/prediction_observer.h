// The hook for prediction metrics: the handlers that predict (ModelService's
// /predict, KserveV2's infer) report each successful prediction call to a
// PredictionObserver, so model code never depends on a metrics library.
#pragma once

#include <chrono>
#include <span>

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
  // backend call having taken `duration` (batching's wait included). Not
  // called when the prediction failed.
  virtual void OnPredictions(const ServedModel& model, const FeatureRows& inputs,
                             std::span<const Prediction> predictions,
                             std::chrono::nanoseconds duration) = 0;
};

}  // namespace conveyor::serving
