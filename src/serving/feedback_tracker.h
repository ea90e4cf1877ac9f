// FeedbackTracker: joins the labels clients send back (POST /feedback) to the
// predictions the server made, and keeps the live quality of the served model
// over a sliding window, so monitoring shows real accuracy, not only
// confidence.
//
// Every successful prediction is remembered by its request id (the
// X-Request-Id the client sent or the one the server made up, returned in
// the answer's `request_id`), with the model version that made it and the
// label it predicted, one per row. At most `max_remembered` requests are
// kept; the oldest go first, and so does anything older than `max_age`. A
// request id sent again replaces the earlier entry.
//
// Feedback names a request id, the row (0 for a single prediction) and the
// true label. Its outcome is `correct`, `wrong`, `unknown_request` (never
// seen, or forgotten) or `duplicate` (that row already had feedback: the
// first label counts). Correct and wrong outcomes enter the window, the
// last `window` of them, each with its model version and true label. The
// report is computed for one model version, normally the one served now:
// live accuracy is the share correct among that version's outcomes in the
// window, and the per-class error rate, for each true label, the share of
// that label's outcomes the model got wrong. A swap therefore starts the
// live figures afresh without forgetting the old version's late feedback
// (counted in the totals).
//
// Thread safety: every method may be called from any number of threads; one
// mutex guards the state (a prediction costs one hash-map insert under it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "serving/prediction_observer.h"
#include "serving/served_model.h"

namespace conveyor::serving {

struct FeedbackOptions {
  size_t max_remembered = 100000;       // requests whose predictions are kept
  std::chrono::seconds max_age{86400};  // and for how long
  size_t window = 1000;                 // joined outcomes in the live window
  // The clock, for max_age (tests pass a fake one).
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

enum class FeedbackOutcome { kCorrect, kWrong, kUnknownRequest, kDuplicate };

// "correct", "wrong", "unknown_request", "duplicate".
std::string_view FeedbackOutcomeName(FeedbackOutcome outcome);

struct FeedbackResult {
  FeedbackOutcome outcome = FeedbackOutcome::kUnknownRequest;
  std::string predicted;  // empty for unknown_request
  std::string model;      // the model that predicted; empty for unknown_request
  int model_version = 0;  // the version that predicted; 0 for unknown_request
};

struct ClassQuality {
  size_t outcomes = 0;  // window outcomes whose true label is this one
  size_t wrong = 0;
};

struct FeedbackReport {
  std::string model;
  int version = 0;
  size_t window_outcomes = 0;  // this version's correct + wrong outcomes in the window
  size_t window_correct = 0;
  std::map<std::string, ClassQuality> classes;  // by true label
  // Since start, all versions: outcome -> count.
  std::map<FeedbackOutcome, uint64_t> totals;
  size_t remembered = 0;  // requests remembered now
};

// A PredictionObserver: the handlers that predict report to it (through
// PredictionObservers beside the metrics).
class FeedbackTracker : public PredictionObserver {
 public:
  explicit FeedbackTracker(FeedbackOptions options = {});

  // RecordPrediction for the request.
  void OnPredictions(const ServedModel& model, const FeatureRows& inputs,
                     std::span<const Prediction> predictions, std::chrono::nanoseconds duration,
                     std::string_view request_id) override;

  // Remembers that `model` answered request `request_id` with `predictions`
  // (one per row).
  void RecordPrediction(std::string_view request_id, const ModelIdentity& model,
                        std::span<const Prediction> predictions);

  // Joins the true `label` of row `row` of request `request_id`.
  FeedbackResult AddFeedback(std::string_view request_id, size_t row, std::string_view label);

  // The live figures for version `version` of `model`.
  FeedbackReport Report(const std::string& model, int version) const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Remembered {
    std::string model;
    int version = 0;
    std::vector<std::string> labels;  // predicted, per row
    std::vector<bool> answered;       // feedback received, per row
    Clock::time_point at;
    uint64_t serial = 0;  // which entry of order_ this is
  };
  struct Outcome {
    std::string model;
    int version = 0;
    std::string label;  // the true one
    bool correct = false;
  };

  // Drops entries past max_age or beyond max_remembered. Requires mu_.
  void Evict(Clock::time_point now);

  const FeedbackOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Remembered> remembered_;  // guarded by mu_
  // Request ids oldest first, with the serial they were stored under (a
  // replaced entry leaves a stale pair behind, skipped). Guarded by mu_.
  std::deque<std::pair<std::string, uint64_t>> order_;
  uint64_t next_serial_ = 0;                    // guarded by mu_
  std::deque<Outcome> window_;                  // guarded by mu_
  std::map<FeedbackOutcome, uint64_t> totals_;  // guarded by mu_
};

}  // namespace conveyor::serving
