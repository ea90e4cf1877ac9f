#include "ml/psi.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace conveyor::ml {

double PopulationStabilityIndex(std::span<const double> expected, std::span<const double> actual) {
  const bool expected_empty =
      std::all_of(expected.begin(), expected.end(), [](double share) { return share <= 0; });
  const bool actual_empty =
      std::all_of(actual.begin(), actual.end(), [](double share) { return share <= 0; });
  if (expected_empty || actual_empty)
    return 0;
  double psi = 0;
  for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) {
    const double e = std::max(expected[i], kPsiFloor);
    const double a = std::max(actual[i], kPsiFloor);
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

std::vector<double> Shares(std::span<const int64_t> counts) {
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  std::vector<double> shares(counts.size(), 0.0);
  if (total <= 0)
    return shares;
  for (size_t i = 0; i < counts.size(); ++i)
    shares[i] = static_cast<double>(counts[i]) / static_cast<double>(total);
  return shares;
}

std::vector<size_t> EqualMassGroups(std::span<const int64_t> counts, size_t groups) {
  std::vector<size_t> group_of_bin(counts.size(), 0);
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  if (total <= 0 || groups < 2)
    return group_of_bin;
  size_t last_filled = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0)
      last_filled = i;
  }
  const double target = static_cast<double>(total) / static_cast<double>(groups);
  size_t group = 0;
  double mass = 0;        // in the open group
  size_t open_start = 0;  // first bin of the open group
  for (size_t i = 0; i < counts.size(); ++i) {
    group_of_bin[i] = group;
    mass += static_cast<double>(counts[i]);
    // Empty bins after the last filled one stay in its group.
    if (mass >= target && i < last_filled) {
      mass = 0;
      open_start = i + 1;
      ++group;
    }
  }
  if (group > 0 && mass < target / 2) {
    for (size_t i = open_start; i < counts.size(); ++i)
      group_of_bin[i] = group - 1;
  }
  return group_of_bin;
}

std::vector<int64_t> GroupCounts(std::span<const int64_t> counts,
                                 std::span<const size_t> group_of_bin) {
  const size_t groups =
      group_of_bin.empty() ? 0 : *std::max_element(group_of_bin.begin(), group_of_bin.end()) + 1;
  std::vector<int64_t> grouped(groups, 0);
  for (size_t i = 0; i < counts.size() && i < group_of_bin.size(); ++i)
    grouped[group_of_bin[i]] += counts[i];
  return grouped;
}

}  // namespace conveyor::ml
