#include "plots/loess.h"

#include <gtest/gtest.h>

#include <cmath>

namespace conveyor {
namespace {

TEST(LoessTest, KeepsAStraightLine) {
  std::vector<Point> points;
  for (int i = 0; i < 50; ++i)
    points.emplace_back(i, 3 * i + 1);
  std::vector<Point> curve = Loess(points);
  ASSERT_EQ(curve.size(), points.size());
  for (const Point& p : curve)
    EXPECT_NEAR(p.second, 3 * p.first + 1, 1e-6);
}

TEST(LoessTest, SmoothsNoiseTowardsTheTrend) {
  std::vector<Point> points;
  for (int i = 0; i < 100; ++i)
    points.emplace_back(i, i + (i % 2 == 0 ? 5 : -5));
  std::vector<Point> curve = Loess(points);
  for (size_t i = 10; i < 90; ++i)
    EXPECT_NEAR(curve[i].second, curve[i].first, 1.0) << i;
}

TEST(LoessTest, ManyPointsAreEvaluatedOnAGrid) {
  std::vector<Point> points;
  for (int i = 0; i < 1000; ++i)
    points.emplace_back(i * 0.5, std::sin(i * 0.01));
  std::vector<Point> curve = Loess(points, 0.3, 200);
  ASSERT_EQ(curve.size(), 200u);
  EXPECT_DOUBLE_EQ(curve.front().first, 0);
  EXPECT_DOUBLE_EQ(curve.back().first, 499.5);
}

TEST(LoessTest, FewPointsAndRepeatedXAreSafe) {
  EXPECT_EQ(Loess({{0, 1}, {1, 2}}).size(), 2u);
  std::vector<Point> same_x = {{1, 1}, {1, 3}, {1, 5}, {1, 7}};
  for (const Point& p : Loess(same_x, 1.0))
    EXPECT_NEAR(p.second, 4, 1e-9);
}

}  // namespace
}  // namespace conveyor
