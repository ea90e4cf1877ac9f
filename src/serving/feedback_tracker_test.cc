#include "serving/feedback_tracker.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "serving/feedback_metrics.h"

namespace conveyor::serving {
namespace {

using namespace std::chrono_literals;

std::vector<Prediction> Said(std::initializer_list<const char*> labels) {
  std::vector<Prediction> out;
  for (const char* label : labels)
    out.push_back({.class_index = 0, .label = label, .probabilities = {1.0F}});
  return out;
}

const ModelIdentity kV1{.name = "digits", .version = 1};
const ModelIdentity kV2{.name = "digits", .version = 2};

TEST(FeedbackTrackerTest, JoinsFeedbackToPredictionsByRequestAndRow) {
  FeedbackTracker tracker;
  tracker.RecordPrediction("a", kV1, Said({"7"}));
  tracker.RecordPrediction("b", kV1, Said({"1", "2", "3"}));

  FeedbackResult right = tracker.AddFeedback("a", 0, "7");
  EXPECT_EQ(right.outcome, FeedbackOutcome::kCorrect);
  EXPECT_EQ(right.predicted, "7");
  EXPECT_EQ(right.model_version, 1);
  EXPECT_EQ(tracker.AddFeedback("b", 2, "8").outcome, FeedbackOutcome::kWrong);
  EXPECT_EQ(tracker.AddFeedback("b", 1, "2").outcome, FeedbackOutcome::kCorrect);
  // The first label counts; the same row again is a duplicate.
  EXPECT_EQ(tracker.AddFeedback("a", 0, "1").outcome, FeedbackOutcome::kDuplicate);
  EXPECT_EQ(tracker.AddFeedback("zzz", 0, "1").outcome, FeedbackOutcome::kUnknownRequest);
  EXPECT_EQ(tracker.AddFeedback("b", 3, "1").outcome, FeedbackOutcome::kUnknownRequest)
      << "no such row";

  FeedbackReport report = tracker.Report("digits", 1);
  EXPECT_EQ(report.window_outcomes, 3u);
  EXPECT_EQ(report.window_correct, 2u);
  EXPECT_EQ(report.classes["8"].outcomes, 1u);
  EXPECT_EQ(report.classes["8"].wrong, 1u);
  EXPECT_EQ(report.classes["7"].wrong, 0u);
  EXPECT_EQ(report.totals[FeedbackOutcome::kCorrect], 2u);
  EXPECT_EQ(report.totals[FeedbackOutcome::kWrong], 1u);
  EXPECT_EQ(report.totals[FeedbackOutcome::kDuplicate], 1u);
  EXPECT_EQ(report.totals[FeedbackOutcome::kUnknownRequest], 2u);
  EXPECT_EQ(report.remembered, 2u);
}

TEST(FeedbackTrackerTest, TheWindowIsPerVersionAndBounded) {
  FeedbackTracker tracker({.window = 4});
  for (int i = 0; i < 3; ++i) {
    tracker.RecordPrediction("old" + std::to_string(i), kV1, Said({"1"}));
    tracker.AddFeedback("old" + std::to_string(i), 0, "1");
  }
  tracker.RecordPrediction("new0", kV2, Said({"1"}));
  tracker.RecordPrediction("new1", kV2, Said({"1"}));
  tracker.AddFeedback("new0", 0, "2");
  tracker.AddFeedback("new1", 0, "2");
  // The window holds the last 4: two of v1 (the first fell out) and both of v2.
  EXPECT_EQ(tracker.Report("digits", 1).window_outcomes, 2u);
  FeedbackReport v2 = tracker.Report("digits", 2);
  EXPECT_EQ(v2.window_outcomes, 2u);
  EXPECT_EQ(v2.window_correct, 0u);
  EXPECT_EQ(tracker.Report("other", 2).window_outcomes, 0u);
}

TEST(FeedbackTrackerTest, ForgetsTheOldestBeyondItsMemoryAndAge) {
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  FeedbackTracker tracker({.max_remembered = 2, .max_age = 60s, .now = [&] { return now; }});
  tracker.RecordPrediction("a", kV1, Said({"1"}));
  tracker.RecordPrediction("b", kV1, Said({"1"}));
  tracker.RecordPrediction("c", kV1, Said({"1"}));
  EXPECT_EQ(tracker.AddFeedback("a", 0, "1").outcome, FeedbackOutcome::kUnknownRequest);
  EXPECT_EQ(tracker.AddFeedback("b", 0, "1").outcome, FeedbackOutcome::kCorrect);
  // Sent again, an id is remembered from then on (and only once).
  tracker.RecordPrediction("c", kV1, Said({"2"}));
  EXPECT_EQ(tracker.Report("digits", 1).remembered, 2u);
  EXPECT_EQ(tracker.AddFeedback("c", 0, "2").outcome, FeedbackOutcome::kCorrect);
  now += 61s;
  tracker.RecordPrediction("d", kV1, Said({"1"}));
  EXPECT_EQ(tracker.AddFeedback("b", 0, "1").outcome, FeedbackOutcome::kUnknownRequest)
      << "expired";
  EXPECT_EQ(tracker.Report("digits", 1).remembered, 1u);
}

std::string Text(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

TEST(FeedbackMetricsTest, GaugesAppearOnceEnoughOutcomesAreIn) {
  FeedbackTracker tracker;
  const std::vector<std::string> labels = {"0", "1", "2"};
  for (int i = 0; i < 4; ++i) {
    std::string id = "r" + std::to_string(i);
    tracker.RecordPrediction(id, kV1, Said({"1"}));
    tracker.AddFeedback(id, 0, i == 0 ? "2" : "1");
  }
  std::string few = Text(FeedbackFamilies(tracker.Report("digits", 1), labels, 5));
  EXPECT_NE(few.find("conveyor_feedback_total{model=\"digits\",outcome=\"correct\"} 3"),
            std::string::npos)
      << few;
  EXPECT_NE(few.find("conveyor_feedback_window_outcomes{model=\"digits\"} 4"), std::string::npos);
  EXPECT_EQ(few.find("conveyor_live_accuracy"), std::string::npos) << "4 < 5 outcomes";

  std::string enough = Text(FeedbackFamilies(tracker.Report("digits", 1), labels, 4));
  EXPECT_NE(enough.find("conveyor_live_accuracy{model=\"digits\"} 0.75"), std::string::npos)
      << enough;
  EXPECT_NE(enough.find("conveyor_live_class_error_rate{model=\"digits\",class=\"2\"} 1"),
            std::string::npos);
  EXPECT_NE(enough.find("conveyor_live_class_error_rate{model=\"digits\",class=\"1\"} 0"),
            std::string::npos);
  EXPECT_EQ(enough.find("class=\"0\""), std::string::npos) << "no outcomes for class 0";
  // A label the served model does not have is never a series.
  EXPECT_EQ(Text(FeedbackFamilies(tracker.Report("digits", 1), {"0", "1"}, 1)).find("class=\"2\""),
            std::string::npos);
}

}  // namespace
}  // namespace conveyor::serving
