// ReferenceStats: summary statistics of the training inputs that a model
// server compares live traffic against to detect drift.
//
// For each preprocessed training sample (pixels in [0, 1]) two scalars are
// computed: its mean intensity and its ink fraction (share of pixels above
// kInkThreshold). Each is summarised as a histogram over fixed, uniform bin
// edges on [0, 1]; bin i counts values v with edges[i] <= v < edges[i+1], the
// last bin also takes v == 1, and values outside [0, 1] are clamped into the
// end bins. Class priors are the share of each label in the training set.
//
// Thread safety: pure functions over values.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ml/samples.h"

namespace conveyor::ml {

inline constexpr double kInkThreshold = 0.5;
inline constexpr int kReferenceBins = 50;

struct Histogram {
  std::vector<double> edges;    // bins + 1 increasing values
  std::vector<int64_t> counts;  // one per bin

  bool operator==(const Histogram&) const = default;
};

struct ReferenceStats {
  int64_t samples = 0;
  std::vector<double> class_priors;  // indexed by label, sums to 1
  double mean_intensity = 0;         // mean over samples of the per-sample mean
  double mean_ink_fraction = 0;      // mean over samples of the ink fraction
  Histogram intensity;               // per-sample mean intensity
  Histogram ink_fraction;            // per-sample ink fraction

  bool operator==(const ReferenceStats&) const = default;
};

// The two drift statistics of one preprocessed input (values in [0, 1]):
// training summarises them into ReferenceStats, the server into its drift
// window (serving/drift_monitor.h), through this one definition.
struct InputSummary {
  double mean_intensity = 0;  // mean of the values; 0 for an empty input
  double ink_fraction = 0;    // share of values above kInkThreshold
};
InputSummary SummarizeInput(std::span<const float> values);

// `bins` uniform bins on [0, 1].
Histogram MakeUnitHistogram(int bins);
// The bin `value` falls in, clamped into the end bins. Precondition: at
// least one bin.
size_t HistogramBin(const Histogram& histogram, double value);
// Adds `value` to the bin it falls in (clamped into the end bins).
void AddToHistogram(Histogram& histogram, double value);

// Statistics of `samples` (preprocessed to [0, 1]) with labels in
// 0..num_classes-1; labels outside are an error.
Result<ReferenceStats> ComputeReferenceStats(const SampleSet& samples, int num_classes,
                                             int bins = kReferenceBins);

}  // namespace conveyor::ml
