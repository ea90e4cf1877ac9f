#include "serving/drift_monitor.h"

#include <algorithm>

#include "ml/psi.h"
#include "serving/metric_families.h"

namespace conveyor::serving {
namespace {

// PSI of `values` binned as `reference`, its bins merged into `groups`.
double StatisticPsi(const ml::Histogram& reference, std::span<const size_t> groups,
                    const std::vector<double>& values) {
  ml::Histogram live = reference;
  std::fill(live.counts.begin(), live.counts.end(), 0);
  for (double value : values)
    ml::AddToHistogram(live, value);
  return ml::PopulationStabilityIndex(ml::Shares(ml::GroupCounts(reference.counts, groups)),
                                      ml::Shares(ml::GroupCounts(live.counts, groups)));
}

// A gauge family of the drift monitor.
prometheus::MetricFamily GaugeFamily(std::string name, std::string help) {
  return MakeFamily(std::move(name), std::move(help), prometheus::MetricType::Gauge);
}

}  // namespace

DriftMonitor::DriftMonitor(const DriftOptions& options)
    : options_(options), window_(std::max<size_t>(options.window, 1)) {}

void DriftMonitor::OnSwapped(const ServedModel& model) {
  const ml::ModelSpec& spec = model.spec();
  const ml::ReferenceStats& stats = spec.reference;
  Reference reference;
  reference.model = model.identity().name;
  reference.present =
      stats.samples > 0 && !stats.intensity.counts.empty() && !stats.ink_fraction.counts.empty();
  reference.class_priors = stats.class_priors;
  reference.class_priors.resize(spec.labels.size(), 0.0);
  reference.intensity = stats.intensity;
  reference.ink_fraction = stats.ink_fraction;
  reference.intensity_groups = ml::EqualMassGroups(stats.intensity.counts, options_.groups);
  reference.ink_fraction_groups = ml::EqualMassGroups(stats.ink_fraction.counts, options_.groups);

  std::lock_guard lock(mu_);
  current_.store(nullptr, std::memory_order_seq_cst);
  window_.Reset();
  reference_ = std::move(reference);
  // Without a reference there is nothing to compare with: rows are not
  // even summarised.
  if (reference_->present)
    current_.store(&model, std::memory_order_seq_cst);
}

void DriftMonitor::OnPredictions(const ServedModel& model, std::span<const Prediction> predictions,
                                 const FeatureRows& inputs) {
  // The generation first: OnSwapped clears current_ before it starts a new
  // generation, so a request that still sees its model here holds the old
  // generation, and its rows stay out of the new model's window.
  const uint32_t generation = window_.generation();
  if (current_.load(std::memory_order_seq_cst) != &model || inputs.rows != predictions.size())
    return;
  for (size_t row = 0; row < inputs.rows; ++row) {
    const ml::InputSummary summary = ml::SummarizeInput(inputs.row(row));
    window_.Record(generation, predictions[row].class_index, summary.mean_intensity,
                   summary.ink_fraction);
  }
}

std::optional<DriftReport> DriftMonitor::Report() const {
  std::lock_guard lock(mu_);
  if (!reference_.has_value())
    return std::nullopt;
  const std::vector<DriftWindow::Entry> entries = window_.Snapshot();
  DriftReport report;
  report.model = reference_->model;
  report.window_samples = entries.size();
  report.has_reference = reference_->present;
  const size_t needed = std::clamp<size_t>(options_.min_samples, 1, window_.capacity());
  if (!reference_->present || entries.size() < needed)
    return report;

  std::vector<int64_t> by_class(reference_->class_priors.size(), 0);
  std::vector<double> intensity;
  std::vector<double> ink;
  intensity.reserve(entries.size());
  ink.reserve(entries.size());
  for (const DriftWindow::Entry& entry : entries) {
    if (static_cast<size_t>(entry.class_index) < by_class.size())
      ++by_class[static_cast<size_t>(entry.class_index)];
    intensity.push_back(entry.mean_intensity);
    ink.push_back(entry.ink_fraction);
  }
  report.prediction_psi =
      ml::PopulationStabilityIndex(reference_->class_priors, ml::Shares(by_class));
  report.mean_intensity_psi =
      StatisticPsi(reference_->intensity, reference_->intensity_groups, intensity);
  report.ink_fraction_psi =
      StatisticPsi(reference_->ink_fraction, reference_->ink_fraction_groups, ink);
  return report;
}

bool DriftMonitor::has_reference() const {
  std::lock_guard lock(mu_);
  return reference_.has_value() && reference_->present;
}

std::vector<prometheus::MetricFamily> DriftMonitor::Collect() const {
  // One Report: the window and the reference it is compared with are read
  // under one lock, so a swap cannot fall between them.
  const std::optional<DriftReport> report = Report();
  if (!report.has_value() || !report->has_reference)
    return {};
  std::vector<prometheus::MetricFamily> families;
  prometheus::MetricFamily window =
      GaugeFamily("conveyor_drift_window_samples",
                  "Predicted rows in the drift window (the last rows the served model answered).");
  window.metric.push_back(
      GaugeMetric({{"model", report->model}}, static_cast<double>(report->window_samples)));
  families.push_back(std::move(window));
  if (report->prediction_psi.has_value()) {
    prometheus::MetricFamily prediction =
        GaugeFamily("conveyor_prediction_drift_psi",
                    "Population stability index of the predicted classes in the drift window "
                    "against the training set's class priors.");
    prediction.metric.push_back(GaugeMetric({{"model", report->model}}, *report->prediction_psi));
    families.push_back(std::move(prediction));
  }
  if (report->mean_intensity_psi.has_value() && report->ink_fraction_psi.has_value()) {
    prometheus::MetricFamily input =
        GaugeFamily("conveyor_input_drift_psi",
                    "Population stability index of a per-input statistic in the drift window "
                    "against its histogram over the training set.");
    input.metric.push_back(GaugeMetric({{"model", report->model}, {"statistic", "mean_intensity"}},
                                       *report->mean_intensity_psi));
    input.metric.push_back(GaugeMetric({{"model", report->model}, {"statistic", "ink_fraction"}},
                                       *report->ink_fraction_psi));
    families.push_back(std::move(input));
  }
  return families;
}

}  // namespace conveyor::serving
