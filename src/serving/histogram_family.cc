#include "serving/histogram_family.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace conveyor::serving {

AtomicHistogram::AtomicHistogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void AtomicHistogram::Observe(double value) {
  // The first bound >= value: Prometheus buckets are "less than or equal".
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

AtomicHistogram::Snapshot AtomicHistogram::Read() const {
  Snapshot snapshot;
  snapshot.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative[i] = running;
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1]))
      throw std::invalid_argument(name_ + ": bucket bounds must be finite and increasing");
  }
}

AtomicHistogram& HistogramFamily::WithLabels(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size())
    throw std::invalid_argument(name_ + ": wrong number of label values");
  std::lock_guard lock(mu_);
  std::unique_ptr<AtomicHistogram>& series = series_[label_values];
  if (series == nullptr)
    series = std::make_unique<AtomicHistogram>(bounds_);
  return *series;
}

std::vector<prometheus::MetricFamily> HistogramFamily::Collect() const {
  prometheus::MetricFamily family;
  family.name = name_;
  family.help = help_;
  family.type = prometheus::MetricType::Histogram;
  std::lock_guard lock(mu_);
  for (const auto& [values, series] : series_) {
    prometheus::ClientMetric metric;
    for (size_t i = 0; i < label_names_.size(); ++i)
      metric.label.push_back({label_names_[i], values[i]});
    AtomicHistogram::Snapshot snapshot = series->Read();
    for (size_t i = 0; i < bounds_.size(); ++i)
      metric.histogram.bucket.push_back({snapshot.cumulative[i], bounds_[i]});
    metric.histogram.bucket.push_back(
        {snapshot.cumulative.back(), std::numeric_limits<double>::infinity()});
    metric.histogram.sample_count = snapshot.cumulative.back();
    metric.histogram.sample_sum = snapshot.sum;
    family.metric.push_back(std::move(metric));
  }
  return {std::move(family)};
}

}  // namespace conveyor::serving
