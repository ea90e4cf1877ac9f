// The feedback series on /metrics, computed at scrape time from one
// FeedbackReport (feedback_tracker.h):
//
//   conveyor_feedback_total{model,outcome}          counter: feedback items by
//                                                   outcome (correct, wrong,
//                                                   unknown_request, duplicate)
//   conveyor_feedback_window_outcomes{model}        gauge: the served version's
//                                                   joined outcomes in the window
//   conveyor_live_accuracy{model}                   gauge: share correct among them
//   conveyor_live_class_error_rate{model,class}     gauge: per true label, share
//                                                   wrong among its outcomes
//   conveyor_feedback_remembered_requests           gauge: predictions waiting
//                                                   for feedback
//
// The two quality gauges appear only once the window holds `min_outcomes`
// outcomes of the served version (a handful says nothing; an absent series
// is "unknown" to Prometheus), and class error rates only for the served
// model's own labels, so label values stay bounded.
#pragma once

#include <prometheus/metric_family.h>

#include <cstddef>
#include <string>
#include <vector>

#include "serving/feedback_tracker.h"

namespace conveyor::serving {

std::vector<prometheus::MetricFamily> FeedbackFamilies(const FeedbackReport& report,
                                                       const std::vector<std::string>& labels,
                                                       size_t min_outcomes);

}  // namespace conveyor::serving
