// HistogramFamily: a Prometheus histogram family whose Observe takes no lock.
//
// prometheus-cpp 1.0.1's Histogram::Observe holds a mutex per series, so
// every request on one route would queue on it. Here each series is a row of
// atomic bucket counters and an atomic sum; Observe is a binary search and
// two relaxed atomic adds. The family plugs into prometheus-cpp as a
// Collectable, so exposition still goes through its TextSerializer.
//
//   HistogramFamily latency("conveyor_x_seconds", "help", {"route"}, {0.1, 1});
//   AtomicHistogram& series = latency.WithLabels({"/predict"});  // resolve once
//   series.Observe(0.05);                                         // per request
//
// Collect reads each bucket once and derives `_count` from the buckets, so a
// scrape always has _count equal to the +Inf bucket; `_sum` may lag the
// counts by the observations that raced with the scrape.
//
// Thread safety: Observe is lock-free and may run on any number of threads.
// WithLabels takes mu_ (resolve series off the hot path and keep the
// reference); Collect takes mu_ only to walk the series list. Series live as
// long as the family: references from WithLabels never dangle.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace conveyor::serving {

class AtomicHistogram {
 public:
  // `bounds` strictly increasing, finite, and outliving the histogram; the
  // +Inf bucket is implicit.
  explicit AtomicHistogram(const std::vector<double>& bounds);

  void Observe(double value);

  // Cumulative counts per bound, then +Inf; and the sum.
  struct Snapshot {
    std::vector<uint64_t> cumulative;  // bounds.size() + 1 entries
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  // Constant after construction.
  const std::vector<double>& bounds_;
  // Non-cumulative counts; the last one is the +Inf bucket.
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0.0};
};

class HistogramFamily : public prometheus::Collectable {
 public:
  // `name` without the _bucket/_sum/_count suffixes. `bounds` strictly
  // increasing and finite (checked: std::invalid_argument otherwise).
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds);

  // The series for `label_values` (one per label name, in order), created on
  // first use. Locks: call once per series and keep the reference.
  AtomicHistogram& WithLabels(const std::vector<std::string>& label_values);

  std::vector<prometheus::MetricFamily> Collect() const override;

  const std::vector<double>& bounds() const { return bounds_; }

 private:
  // Constant after construction.
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;

  mutable std::mutex mu_;
  // Guarded by mu_ (the map); the histograms themselves are lock-free.
  std::map<std::vector<std::string>, std::unique_ptr<AtomicHistogram>> series_;
};

}  // namespace conveyor::serving
