// POST /feedback: the true labels of earlier predictions, joined by request
// id (feedback_tracker.h), for live accuracy on /metrics.
//
//   {"request_id": "1a2b3c4d-2a", "label": "7"}             one prediction
//   {"request_id": "…", "row": 2, "label": 7}               row 2 of a batch request
//   [{"request_id": "…", "label": "7"}, …]                  up to 10,000 at once
//
// `label` is a string or an integer and must be one of the served model's
// labels; `row` defaults to 0. The whole body is checked before anything is
// recorded: one bad item is a 422 naming its index and field, and nothing of
// the body counts. The answer (200) counts the outcomes — `correct`,
// `wrong`, `unknown_request` (not remembered: never predicted here, or too
// old), `duplicate` (that row had feedback already) — and lists each item's
// outcome and the label that was predicted, in order.
//
// Thread safety: Handle may run on any number of threads at once.
#pragma once

#include "common/status.h"
#include "serving/feedback_tracker.h"
#include "serving/http_types.h"
#include "serving/model_manager.h"
#include "serving/prediction_log.h"
#include "serving/router.h"

namespace conveyor::serving {

inline constexpr size_t kMaxFeedbackItems = 10000;

class FeedbackService {
 public:
  // `manager`, `tracker` and `log` (may be null: no prediction log) must
  // outlive the service.
  FeedbackService(const ModelManager& manager, FeedbackTracker& tracker,
                  PredictionLog* log = nullptr)
      : manager_(manager), tracker_(tracker), log_(log) {}

  // Registers POST /feedback (route name "feedback").
  Status AddRoutes(Router& router);

  HttpResponse Handle(const HttpRequest& request);

 private:
  const ModelManager& manager_;
  FeedbackTracker& tracker_;
  PredictionLog* const log_;
};

}  // namespace conveyor::serving
