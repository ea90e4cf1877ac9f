#include "ml/reference_stats.h"

#include <algorithm>

namespace conveyor::ml {

Histogram MakeUnitHistogram(int bins) {
  Histogram h;
  for (int i = 0; i <= bins; ++i) {
    h.edges.push_back(static_cast<double>(i) / bins);
  }
  h.counts.assign(static_cast<size_t>(bins), 0);
  return h;
}

void AddToHistogram(Histogram& histogram, double value) {
  const auto upper = std::upper_bound(histogram.edges.begin(), histogram.edges.end(), value);
  const ptrdiff_t bin = std::clamp<ptrdiff_t>(upper - histogram.edges.begin() - 1, 0,
                                              static_cast<ptrdiff_t>(histogram.counts.size()) - 1);
  ++histogram.counts[static_cast<size_t>(bin)];
}

Result<ReferenceStats> ComputeReferenceStats(const SampleSet& samples, int num_classes, int bins) {
  ReferenceStats stats;
  stats.samples = static_cast<int64_t>(samples.size());
  stats.class_priors.assign(static_cast<size_t>(num_classes), 0.0);
  stats.intensity = MakeUnitHistogram(bins);
  stats.ink_fraction = MakeUnitHistogram(bins);
  if (samples.size() == 0) {
    return stats;
  }
  const auto n = static_cast<double>(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const int32_t label = samples.labels[i];
    if (label < 0 || label >= num_classes) {
      return Error(Code::kInvalid, "sample {} has label {}, outside 0..{}", i, label,
                   num_classes - 1);
    }
    stats.class_priors[static_cast<size_t>(label)] += 1.0;
    double sum = 0;
    int64_t ink = 0;
    for (float v : samples.sample(i)) {
      sum += v;
      ink += v > kInkThreshold ? 1 : 0;
    }
    const auto features = static_cast<double>(samples.features());
    const double mean = sum / features;
    const double fraction = static_cast<double>(ink) / features;
    stats.mean_intensity += mean;
    stats.mean_ink_fraction += fraction;
    AddToHistogram(stats.intensity, mean);
    AddToHistogram(stats.ink_fraction, fraction);
  }
  for (double& prior : stats.class_priors) {
    prior /= n;
  }
  stats.mean_intensity /= n;
  stats.mean_ink_fraction /= n;
  return stats;
}

}  // namespace conveyor::ml
