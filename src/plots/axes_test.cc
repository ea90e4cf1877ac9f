#include "plots/axes.h"

#include <gtest/gtest.h>

#include <limits>

namespace conveyor {
namespace {

struct TickCase {
  double lo, hi;
  int max_ticks;
  std::vector<double> expected;
};

TEST(NiceTicksTest, Table) {
  const TickCase cases[] = {
      {0, 1, 6, {0, 0.2, 0.4, 0.6, 0.8, 1}},
      {0, 1, 11, {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}},
      {0.13, 0.87, 5, {0, 0.5, 1}},
      {0.13, 0.87, 10, {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}},
      {3, 97, 6, {0, 20, 40, 60, 80, 100}},
      {-7, 12, 5, {-10, 0, 10, 20}},
      {0, 9, 10, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
      {0, 9, 5, {0, 5, 10}},
      {5, 5, 5, {4.5, 5, 5.5}},                 // empty range: ±10%
      {0, 0, 5, {-1, -0.5, 0, 0.5, 1}},         // empty range at zero: ±1
      {1200, 980, 4, {900, 1000, 1100, 1200}},  // swapped
      {0.0012, 0.0047, 5, {0.001, 0.002, 0.003, 0.004, 0.005}},
  };
  for (const TickCase& c : cases) {
    Ticks ticks = NiceTicks(c.lo, c.hi, c.max_ticks);
    ASSERT_EQ(ticks.values.size(), c.expected.size()) << c.lo << ".." << c.hi;
    for (size_t i = 0; i < c.expected.size(); ++i)
      EXPECT_NEAR(ticks.values[i], c.expected[i], 1e-9) << c.lo << ".." << c.hi << " #" << i;
    EXPECT_LE(ticks.lo, std::min(c.lo, c.hi));
    EXPECT_GE(ticks.hi, std::max(c.lo, c.hi));
  }
}

TEST(NiceTicksTest, NonFiniteGivesUnitAxis) {
  Ticks ticks = NiceTicks(0, std::numeric_limits<double>::infinity(), 5);
  EXPECT_EQ(ticks.lo, 0);
  EXPECT_EQ(ticks.hi, 1);
}

TEST(FormatTickTest, Table) {
  struct Case {
    double value, step;
    const char* expected;
  };
  const Case cases[] = {
      {0.2, 0.2, "0.2"},         {0.30000000000000004, 0.1, "0.3"},
      {0.25, 0.05, "0.25"},      {1.5, 0.5, "1.5"},
      {200, 100, "200"},         {-0.0, 0.1, "0.0"},
      {-1e-17, 0.1, "0.0"},      {0.001, 0.001, "0.001"},
      {2000000, 1000000, "2e6"}, {1500000, 500000, "1.5e6"},
      {2.5e-5, 5e-6, "2.5e-5"},  {-20, 10, "-20"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(FormatTick(c.value, c.step), c.expected) << c.value << " step " << c.step;
}

TEST(FormatValueTest, IntegersAsIsOthersToThreeDigits) {
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(-0.0), "0");
  EXPECT_EQ(FormatValue(0.95703), "0.957");
  EXPECT_EQ(FormatValue(1234.5), "1.23e3");
}

}  // namespace
}  // namespace conveyor
