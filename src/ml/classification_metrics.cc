#include "ml/classification_metrics.h"

namespace conveyor::ml {

Result<ClassificationMetrics> ComputeMetrics(std::span<const int32_t> actual,
                                             std::span<const int32_t> predicted, int num_classes) {
  if (actual.size() != predicted.size()) {
    return Error(Code::kInvalid, "{} actual labels but {} predictions", actual.size(),
                 predicted.size());
  }
  if (actual.empty()) {
    return Error(Code::kInvalid, "no samples to score");
  }
  if (num_classes < 1) {
    return Error(Code::kInvalid, "num_classes must be positive, got {}", num_classes);
  }
  std::vector<std::vector<int64_t>> confusion(static_cast<size_t>(num_classes),
                                              std::vector<int64_t>(num_classes, 0));
  for (size_t i = 0; i < actual.size(); ++i) {
    if (actual[i] < 0 || actual[i] >= num_classes) {
      return Error(Code::kInvalid, "actual[{}] = {} is outside 0..{}", i, actual[i],
                   num_classes - 1);
    }
    if (predicted[i] < 0 || predicted[i] >= num_classes) {
      return Error(Code::kInvalid, "predicted[{}] = {} is outside 0..{}", i, predicted[i],
                   num_classes - 1);
    }
    ++confusion[actual[i]][predicted[i]];
  }
  return MetricsFromConfusion(std::move(confusion));
}

ClassificationMetrics MetricsFromConfusion(std::vector<std::vector<int64_t>> confusion) {
  ClassificationMetrics m;
  const size_t n = confusion.size();
  m.per_class.resize(n);
  int64_t total = 0;
  int64_t correct = 0;
  for (size_t k = 0; k < n; ++k) {
    int64_t predicted_k = 0;
    int64_t actual_k = 0;
    for (size_t j = 0; j < n; ++j) {
      predicted_k += confusion[j][k];
      actual_k += confusion[k][j];
      total += confusion[k][j];
    }
    const auto tp = static_cast<double>(confusion[k][k]);
    correct += confusion[k][k];
    ClassMetrics& c = m.per_class[k];
    c.support = actual_k;
    c.precision = predicted_k > 0 ? tp / static_cast<double>(predicted_k) : 0.0;
    c.recall = actual_k > 0 ? tp / static_cast<double>(actual_k) : 0.0;
    c.f1 = c.precision + c.recall > 0 ? 2 * c.precision * c.recall / (c.precision + c.recall) : 0;
    m.macro_precision += c.precision / static_cast<double>(n);
    m.macro_recall += c.recall / static_cast<double>(n);
    m.macro_f1 += c.f1 / static_cast<double>(n);
  }
  m.accuracy = total > 0 ? static_cast<double>(correct) / static_cast<double>(total) : 0.0;
  m.confusion = std::move(confusion);
  return m;
}

}  // namespace conveyor::ml
