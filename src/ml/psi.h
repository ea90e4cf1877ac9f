// Population stability index (PSI): how far a live distribution has moved
// from a reference one, over the same bins.
//
//   PSI = sum over bins i of (a_i - e_i) * ln(a_i / e_i)
//
// where e_i is the reference (expected) share of bin i and a_i the live
// (actual) share. It is 0 for identical distributions and grows with the
// shift; the customary reading is below 0.1 stable, 0.1 to 0.2 a moderate
// shift, above 0.2 a significant one (kPsiModerate, kPsiSignificant). A bin
// empty on one side would make the log infinite, so shares below kPsiFloor
// count as kPsiFloor.
//
// Coarse bins make PSI meaningful on small samples: on n live values and k
// bins, sampling noise alone gives a PSI of about (k - 1) / n. So the drift
// monitor regroups the reference's 50 uniform bins into about ten groups of
// equal reference mass (EqualMassGroups) before comparing.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace conveyor::ml {

inline constexpr double kPsiFloor = 1e-4;
inline constexpr double kPsiModerate = 0.1;
inline constexpr double kPsiSignificant = 0.2;

// PSI of `actual` against `expected`, each a share per bin (summing to 1,
// or all zero). Precondition: equal sizes. 0 when either is all zero.
double PopulationStabilityIndex(std::span<const double> expected, std::span<const double> actual);

// `counts` (one per bin) as shares of their total; all zero when the total
// is 0.
std::vector<double> Shares(std::span<const int64_t> counts);

// Groups consecutive bins of a reference histogram into at most `groups`
// groups of about equal mass: walking the bins in order, a group closes once
// it holds total/groups or more, and a last group lighter than half of that
// joins the one before. Returns the group of each bin (0, 1, ... in order).
// A bin of more than total/groups mass is a group by itself; empty bins join
// their neighbours. With a zero total or `groups` < 2, one group.
std::vector<size_t> EqualMassGroups(std::span<const int64_t> counts, size_t groups);

// Sums `counts` (one per bin) into their groups (from EqualMassGroups).
std::vector<int64_t> GroupCounts(std::span<const int64_t> counts,
                                 std::span<const size_t> group_of_bin);

}  // namespace conveyor::ml
