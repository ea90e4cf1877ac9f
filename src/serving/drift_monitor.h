// DriftMonitor: compares what the served model sees and answers with what
// it was trained on, as population stability indexes (ml/psi.h) over a
// sliding window of predicted rows, exported as Prometheus gauges.
//
// The reference is the served model's spec (model.yaml `reference`): class
// priors and histograms of two per-input statistics, mean intensity and ink
// fraction (ml/reference_stats.h, computed by the same SummarizeInput). The
// window holds the last `window` rows predicted by the model being served:
// its predicted class and the two statistics of its preprocessed input. A
// swap to another model empties the window, since the new model brings its
// own reference. At each scrape three PSIs are computed from the window:
//
//   conveyor_prediction_drift_psi{model}           predicted classes vs the
//                                                  class priors
//   conveyor_input_drift_psi{model,statistic}      statistic="mean_intensity"
//                                                  or "ink_fraction", over the
//                                                  reference histogram's bins
//                                                  regrouped into ~10 groups of
//                                                  equal reference mass
//   conveyor_drift_window_samples{model}           rows in the window now
//
// The PSI gauges appear only once the window holds `min_samples` rows: a
// handful of rows says nothing, and an absent series is how Prometheus says
// "unknown". A model whose spec has no reference statistics (samples: 0)
// gets no drift series at all, and its rows are not recorded.
//
// Cost per predicted row: one pass over its features (SummarizeInput), one
// atomic add and one atomic store. No lock on the request path.
//
// Thread safety: OnPredictions, Report and Collect may run on any number of
// threads at once; OnSwapped is called by the ModelManager, one swap at a
// time.
#pragma once

#include <prometheus/metric_family.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ml/reference_stats.h"
#include "serving/drift_window.h"
#include "serving/model_input.h"
#include "serving/served_model.h"

namespace conveyor::serving {

struct DriftOptions {
  size_t window = 1000;      // rows kept (serve --drift-window); at least 1
  size_t min_samples = 100;  // rows needed before PSI is exported; at most `window`
  size_t groups = 10;        // equal-mass groups of the reference bins
};

struct DriftReport {
  std::string model;           // the served model's name
  size_t window_samples = 0;   // rows in the window
  bool has_reference = false;  // the served model's spec has reference statistics
  // Each absent below min_samples or without a reference in the spec.
  std::optional<double> prediction_psi;
  std::optional<double> mean_intensity_psi;
  std::optional<double> ink_fraction_psi;
};

class DriftMonitor {
 public:
  explicit DriftMonitor(const DriftOptions& options = {});
  DriftMonitor(const DriftMonitor&) = delete;
  DriftMonitor& operator=(const DriftMonitor&) = delete;

  // `model` is now served: its reference replaces the last one and the
  // window is emptied.
  void OnSwapped(const ServedModel& model);

  // Records rows that `model` predicted; `inputs` are the preprocessed rows,
  // one per prediction. Ignored unless `model` is the one last passed to
  // OnSwapped (a request that started before a swap) or when the row counts
  // differ.
  void OnPredictions(const ServedModel& model, std::span<const Prediction> predictions,
                     const FeatureRows& inputs);

  // The window's state now; nullopt before the first OnSwapped.
  std::optional<DriftReport> Report() const;

  // The served model's spec has reference statistics.
  bool has_reference() const;

  // The gauges above: none before the first OnSwapped, nor for a model
  // without reference statistics.
  std::vector<prometheus::MetricFamily> Collect() const;

 private:
  // What the window is compared with, from the served model's spec.
  struct Reference {
    std::string model;
    bool present = false;  // the spec has reference statistics
    std::vector<double> class_priors;
    ml::Histogram intensity;
    ml::Histogram ink_fraction;
    std::vector<size_t> intensity_groups;     // group of each intensity bin
    std::vector<size_t> ink_fraction_groups;  // group of each ink bin
  };

  // Constant after construction.
  const DriftOptions options_;

  DriftWindow window_;
  std::atomic<const ServedModel*> current_{nullptr};  // compared, never dereferenced

  mutable std::mutex mu_;
  std::optional<Reference> reference_;  // guarded by mu_
};

}  // namespace conveyor::serving
