// ClassificationMetrics: accuracy, precision, recall, F1 and the confusion
// matrix of a multi-class classifier's predictions.
//
// Conventions (as scikit-learn's with zero_division=0): a class never
// predicted has precision 0, a class with no true samples has recall 0, and F1
// is 0 when precision + recall is 0. Macro averages are unweighted means over
// all num_classes classes.
//
// Thread safety: pure functions over values.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace conveyor::ml {

struct ClassMetrics {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  int64_t support = 0;  // number of true samples of the class
};

struct ClassificationMetrics {
  // confusion[actual][predicted] counts.
  std::vector<std::vector<int64_t>> confusion;
  double accuracy = 0;
  double macro_precision = 0;
  double macro_recall = 0;
  double macro_f1 = 0;
  std::vector<ClassMetrics> per_class;  // indexed by class
};

// Precondition-free: errors when sizes differ, no samples are given, or a
// label lies outside 0..num_classes-1 ("predicted[3] = 10 is outside 0..9").
Result<ClassificationMetrics> ComputeMetrics(std::span<const int32_t> actual,
                                             std::span<const int32_t> predicted, int num_classes);

// The figures from an already-built confusion matrix (square, non-empty).
ClassificationMetrics MetricsFromConfusion(std::vector<std::vector<int64_t>> confusion);

}  // namespace conveyor::ml
