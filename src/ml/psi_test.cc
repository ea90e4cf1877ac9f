#include "ml/psi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace conveyor::ml {
namespace {

TEST(PsiTest, IdenticalDistributionsAreZero) {
  const std::vector<double> shares = {0.1, 0.2, 0.3, 0.4};
  EXPECT_DOUBLE_EQ(PopulationStabilityIndex(shares, shares), 0.0);
}

TEST(PsiTest, MatchesTheFormulaByHand) {
  const std::vector<double> expected = {0.5, 0.5};
  const std::vector<double> actual = {0.8, 0.2};
  const double by_hand = (0.8 - 0.5) * std::log(0.8 / 0.5) + (0.2 - 0.5) * std::log(0.2 / 0.5);
  EXPECT_NEAR(PopulationStabilityIndex(expected, actual), by_hand, 1e-12);
  EXPECT_NEAR(by_hand, 0.416, 0.001);  // "significant" on the customary scale
}

TEST(PsiTest, EmptyBinsCountAsTheFloor) {
  const std::vector<double> expected = {1.0, 0.0};
  const std::vector<double> actual = {0.0, 1.0};
  const double floor_term = (1.0 - kPsiFloor) * std::log(1.0 / kPsiFloor);
  EXPECT_NEAR(PopulationStabilityIndex(expected, actual), 2 * floor_term, 1e-9);
  EXPECT_TRUE(std::isfinite(PopulationStabilityIndex(expected, actual)));
}

TEST(PsiTest, AllZeroSideGivesZero) {
  const std::vector<double> expected = {0.5, 0.5};
  const std::vector<double> none = {0.0, 0.0};
  EXPECT_EQ(PopulationStabilityIndex(expected, none), 0.0);
  EXPECT_EQ(PopulationStabilityIndex(none, expected), 0.0);
}

TEST(PsiTest, SharesOfCounts) {
  const std::vector<int64_t> counts = {1, 3, 0};
  EXPECT_EQ(Shares(counts), (std::vector<double>{0.25, 0.75, 0.0}));
  const std::vector<int64_t> zero = {0, 0};
  EXPECT_EQ(Shares(zero), (std::vector<double>{0.0, 0.0}));
}

struct GroupCase {
  std::vector<int64_t> counts;
  size_t groups;
  std::vector<size_t> want;
};

TEST(PsiTest, EqualMassGroupsTable) {
  const std::vector<GroupCase> cases = {
      // Uniform mass: pairs of bins.
      {{1, 1, 1, 1, 1, 1}, 3, {0, 0, 1, 1, 2, 2}},
      // A heavy bin is a group by itself; empty bins join their neighbours.
      {{0, 0, 6, 2, 2, 0}, 2, {0, 0, 0, 1, 1, 1}},
      // A tail of 20% is lighter than half a group (25%): it joins.
      {{0, 0, 8, 1, 1, 0}, 2, {0, 0, 0, 0, 0, 0}},
      // Target 21/4: groups close at 10 and 10; the tail of 1 joins the second.
      {{5, 5, 5, 5, 1}, 4, {0, 0, 1, 1, 1}},
      // Trailing empty bins stay with the last filled one.
      {{4, 4, 0, 0}, 2, {0, 1, 1, 1}},
      // Zero total or fewer than two groups: one group.
      {{0, 0, 0}, 4, {0, 0, 0}},
      {{3, 4}, 1, {0, 0}},
      // More groups asked than bins can give.
      {{1, 1}, 10, {0, 1}},
  };
  for (const GroupCase& c : cases) {
    EXPECT_EQ(EqualMassGroups(c.counts, c.groups), c.want)
        << "counts " << ::testing::PrintToString(c.counts) << " groups " << c.groups;
  }
}

TEST(PsiTest, GroupCountsSumsBins) {
  const std::vector<int64_t> counts = {1, 2, 3, 4};
  const std::vector<size_t> groups = {0, 0, 1, 1};
  EXPECT_EQ(GroupCounts(counts, groups), (std::vector<int64_t>{3, 7}));
}

TEST(PsiTest, SamplingNoiseOnTenGroupsStaysUnderTheModerateBand) {
  // 1000 draws spread exactly as the reference, give or take one per group:
  // far below 0.1.
  const std::vector<double> expected(10, 0.1);
  std::vector<double> actual(10, 0.1);
  actual[0] = 0.11;
  actual[9] = 0.09;
  EXPECT_LT(PopulationStabilityIndex(expected, actual), 0.01);
}

}  // namespace
}  // namespace conveyor::ml
