#include "ml/reference_stats.h"

#include <gtest/gtest.h>

namespace conveyor::ml {
namespace {

TEST(ReferenceStatsTest, HistogramBinsAndClamps) {
  Histogram h = MakeUnitHistogram(4);
  EXPECT_EQ(h.edges, (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  for (double v : {-1.0, 0.0, 0.25, 0.3, 0.99, 1.0, 2.0}) {
    AddToHistogram(h, v);
  }
  EXPECT_EQ(h.counts, (std::vector<int64_t>{2, 2, 0, 3}));
}

TEST(ReferenceStatsTest, ComputesPriorsIntensityAndInk) {
  SampleSet s;
  s.rows = 1;
  s.cols = 4;
  s.Add(0, std::vector<float>{1, 1, 0, 0});     // mean 0.5, ink 0.5
  s.Add(1, std::vector<float>{0, 0, 0, 0.4F});  // mean 0.1, ink 0
  s.Add(1, std::vector<float>{1, 1, 1, 1});     // mean 1, ink 1
  s.Add(1, std::vector<float>{0, 0, 0, 0});     // mean 0, ink 0
  auto stats = ComputeReferenceStats(s, 3, 2);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->samples, 4);
  EXPECT_EQ(stats->class_priors, (std::vector<double>{0.25, 0.75, 0.0}));
  EXPECT_NEAR(stats->mean_intensity, 1.6 / 4, 1e-6);
  EXPECT_NEAR(stats->mean_ink_fraction, 1.5 / 4, 1e-12);
  EXPECT_EQ(stats->intensity.counts, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(stats->ink_fraction.counts, (std::vector<int64_t>{2, 2}));
}

TEST(ReferenceStatsTest, RejectsLabelOutOfRange) {
  SampleSet s;
  s.rows = 1;
  s.cols = 1;
  s.Add(5, std::vector<float>{0});
  auto stats = ComputeReferenceStats(s, 3);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().message(), "sample 0 has label 5, outside 0..2");
}

}  // namespace
}  // namespace conveyor::ml
