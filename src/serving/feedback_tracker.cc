#include "serving/feedback_tracker.h"

#include <algorithm>

namespace conveyor::serving {

std::string_view FeedbackOutcomeName(FeedbackOutcome outcome) {
  switch (outcome) {
    case FeedbackOutcome::kCorrect:
      return "correct";
    case FeedbackOutcome::kWrong:
      return "wrong";
    case FeedbackOutcome::kUnknownRequest:
      return "unknown_request";
    case FeedbackOutcome::kDuplicate:
      return "duplicate";
  }
  return "unknown_request";
}

FeedbackTracker::FeedbackTracker(FeedbackOptions options) : options_(std::move(options)) {}

void FeedbackTracker::Evict(Clock::time_point now) {
  while (!order_.empty()) {
    auto it = remembered_.find(order_.front().first);
    bool stale = it == remembered_.end() || it->second.serial != order_.front().second;
    bool expired = !stale && (remembered_.size() > options_.max_remembered ||
                              now - it->second.at > options_.max_age);
    if (!stale && !expired)
      break;
    if (expired)
      remembered_.erase(it);
    order_.pop_front();
  }
}

void FeedbackTracker::OnPredictions(const ServedModel& model, const FeatureRows& /*inputs*/,
                                    std::span<const Prediction> predictions,
                                    std::chrono::nanoseconds /*duration*/,
                                    std::string_view request_id) {
  RecordPrediction(request_id, model.identity(), predictions);
}

void FeedbackTracker::RecordPrediction(std::string_view request_id, const ModelIdentity& model,
                                       std::span<const Prediction> predictions) {
  if (options_.max_remembered == 0 || predictions.empty())
    return;
  Remembered entry;
  entry.model = model.name;
  entry.version = model.version;
  entry.labels.reserve(predictions.size());
  for (const Prediction& prediction : predictions)
    entry.labels.push_back(prediction.label);
  entry.answered.assign(predictions.size(), false);
  entry.at = options_.now();
  const Clock::time_point at = entry.at;
  std::lock_guard lock(mu_);
  entry.serial = next_serial_++;
  std::string key(request_id);
  order_.emplace_back(key, entry.serial);
  remembered_.insert_or_assign(std::move(key), std::move(entry));
  Evict(at);
}

FeedbackResult FeedbackTracker::AddFeedback(std::string_view request_id, size_t row,
                                            std::string_view label) {
  Clock::time_point now = options_.now();
  std::lock_guard lock(mu_);
  Evict(now);
  auto it = remembered_.find(std::string(request_id));
  FeedbackResult result;
  if (it == remembered_.end() || row >= it->second.labels.size()) {
    ++totals_[FeedbackOutcome::kUnknownRequest];
    return result;
  }
  Remembered& entry = it->second;
  result.predicted = entry.labels[row];
  result.model = entry.model;
  result.model_version = entry.version;
  if (entry.answered[row]) {
    result.outcome = FeedbackOutcome::kDuplicate;
    ++totals_[result.outcome];
    return result;
  }
  entry.answered[row] = true;
  bool correct = entry.labels[row] == label;
  result.outcome = correct ? FeedbackOutcome::kCorrect : FeedbackOutcome::kWrong;
  ++totals_[result.outcome];
  window_.push_back({entry.model, entry.version, std::string(label), correct});
  while (window_.size() > std::max<size_t>(options_.window, 1))
    window_.pop_front();
  return result;
}

FeedbackReport FeedbackTracker::Report(const std::string& model, int version) const {
  FeedbackReport report;
  report.model = model;
  report.version = version;
  std::lock_guard lock(mu_);
  for (const Outcome& outcome : window_) {
    if (outcome.model != model || outcome.version != version)
      continue;
    ++report.window_outcomes;
    report.window_correct += outcome.correct ? 1 : 0;
    ClassQuality& quality = report.classes[outcome.label];
    ++quality.outcomes;
    quality.wrong += outcome.correct ? 0 : 1;
  }
  report.totals = totals_;
  report.remembered = remembered_.size();
  return report;
}

}  // namespace conveyor::serving
