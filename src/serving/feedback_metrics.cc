#include "serving/feedback_metrics.h"

#include "serving/metric_families.h"

namespace conveyor::serving {

std::vector<prometheus::MetricFamily> FeedbackFamilies(const FeedbackReport& report,
                                                       const std::vector<std::string>& labels,
                                                       size_t min_outcomes) {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  prometheus::MetricFamily totals =
      MakeFamily("conveyor_feedback_total",
                 "Feedback items received (POST /feedback), by outcome of the join with the "
                 "prediction they name.",
                 MetricType::Counter);
  for (FeedbackOutcome outcome : {FeedbackOutcome::kCorrect, FeedbackOutcome::kWrong,
                                  FeedbackOutcome::kUnknownRequest, FeedbackOutcome::kDuplicate}) {
    auto it = report.totals.find(outcome);
    double count = it == report.totals.end() ? 0.0 : static_cast<double>(it->second);
    totals.metric.push_back(CounterMetric(
        {{"model", report.model}, {"outcome", std::string(FeedbackOutcomeName(outcome))}}, count));
  }
  families.push_back(std::move(totals));

  prometheus::MetricFamily window =
      MakeFamily("conveyor_feedback_window_outcomes",
                 "Joined feedback outcomes of the served model version in the live window.",
                 MetricType::Gauge);
  window.metric.push_back(
      GaugeMetric({{"model", report.model}}, static_cast<double>(report.window_outcomes)));
  families.push_back(std::move(window));

  prometheus::MetricFamily remembered =
      MakeFamily("conveyor_feedback_remembered_requests",
                 "Predictions remembered by request id, waiting for feedback.", MetricType::Gauge);
  remembered.metric.push_back(GaugeMetric({}, static_cast<double>(report.remembered)));
  families.push_back(std::move(remembered));

  if (report.window_outcomes == 0 || report.window_outcomes < min_outcomes)
    return families;
  prometheus::MetricFamily accuracy = MakeFamily(
      "conveyor_live_accuracy",
      "Share of the served version's predictions in the feedback window that were correct.",
      MetricType::Gauge);
  accuracy.metric.push_back(GaugeMetric(
      {{"model", report.model}},
      static_cast<double>(report.window_correct) / static_cast<double>(report.window_outcomes)));
  families.push_back(std::move(accuracy));
  prometheus::MetricFamily errors = MakeFamily(
      "conveyor_live_class_error_rate",
      "Per true label, the share of the served version's predictions in the feedback window "
      "that were wrong.",
      MetricType::Gauge);
  for (const std::string& label : labels) {
    auto it = report.classes.find(label);
    if (it == report.classes.end() || it->second.outcomes == 0)
      continue;
    errors.metric.push_back(GaugeMetric(
        {{"model", report.model}, {"class", label}},
        static_cast<double>(it->second.wrong) / static_cast<double>(it->second.outcomes)));
  }
  if (!errors.metric.empty())
    families.push_back(std::move(errors));
  return families;
}

}  // namespace conveyor::serving
