#include "ml/classification_metrics.h"

#include <gtest/gtest.h>

namespace conveyor::ml {
namespace {

// Three classes, 10 samples; confusion by hand:
//              pred 0  pred 1  pred 2
//   actual 0      3       1       0
//   actual 1      0       2       1
//   actual 2      1       0       2
// precision: 3/4, 2/3, 2/3; recall: 3/4, 2/3, 2/3; accuracy 7/10.
TEST(ClassificationMetricsTest, MatchesAHandComputedConfusionMatrix) {
  const std::vector<int32_t> actual = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
  const std::vector<int32_t> predicted = {0, 0, 0, 1, 1, 1, 2, 0, 2, 2};
  auto m = ComputeMetrics(actual, predicted, 3);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const std::vector<std::vector<int64_t>> expected = {{3, 1, 0}, {0, 2, 1}, {1, 0, 2}};
  EXPECT_EQ(m->confusion, expected);
  EXPECT_DOUBLE_EQ(m->accuracy, 0.7);
  EXPECT_DOUBLE_EQ(m->per_class[0].precision, 0.75);
  EXPECT_DOUBLE_EQ(m->per_class[0].recall, 0.75);
  EXPECT_DOUBLE_EQ(m->per_class[0].f1, 0.75);
  EXPECT_DOUBLE_EQ(m->per_class[1].precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m->per_class[2].recall, 2.0 / 3.0);
  EXPECT_EQ(m->per_class[0].support, 4);
  EXPECT_EQ(m->per_class[1].support, 3);
  EXPECT_NEAR(m->macro_precision, (0.75 + 2.0 / 3.0 + 2.0 / 3.0) / 3.0, 1e-12);
  EXPECT_NEAR(m->macro_recall, (0.75 + 2.0 / 3.0 + 2.0 / 3.0) / 3.0, 1e-12);
  EXPECT_NEAR(m->macro_f1, (0.75 + 2.0 / 3.0 + 2.0 / 3.0) / 3.0, 1e-12);
}

TEST(ClassificationMetricsTest, NeverPredictedClassScoresZero) {
  auto m = ComputeMetrics(std::vector<int32_t>{0, 1}, std::vector<int32_t>{0, 0}, 2);
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(m->per_class[1].precision, 0.0);
  EXPECT_DOUBLE_EQ(m->per_class[1].recall, 0.0);
  EXPECT_DOUBLE_EQ(m->per_class[1].f1, 0.0);
  EXPECT_DOUBLE_EQ(m->per_class[0].precision, 0.5);
}

TEST(ClassificationMetricsTest, RejectsBadInput) {
  auto sizes = ComputeMetrics(std::vector<int32_t>{0}, std::vector<int32_t>{}, 2);
  ASSERT_FALSE(sizes.ok());
  EXPECT_EQ(sizes.status().message(), "1 actual labels but 0 predictions");
  auto range = ComputeMetrics(std::vector<int32_t>{0, 1}, std::vector<int32_t>{0, 10}, 10);
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().message(), "predicted[1] = 10 is outside 0..9");
}

}  // namespace
}  // namespace conveyor::ml
