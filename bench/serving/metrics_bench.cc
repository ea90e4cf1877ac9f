// metrics_bench [SECONDS [THREADS...]]: the cost /metrics adds to one
// /predict request, in process: ServingMetrics::OnRequest for a 200 on
// POST /predict plus OnPredictions for one 20x20 row, per request, on 1 and
// 2 threads at once (default), the way the server's request threads call
// them; each with drift on (the model has reference statistics, so the row
// is summarised into the drift window) and off, alternating, twice. Prints
// ns per request. Compare with the server's CPU time per request
// (bench/serving/run.sh) to get the share metrics cost.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "serving/metrics.h"

namespace {

using namespace conveyor;
using namespace conveyor::serving;
using Clock = std::chrono::steady_clock;

class TenClasses : public ml::Classifier {
 public:
  Result<std::vector<float>> PredictProba(const ml::DenseMatrix& features) const override {
    return std::vector<float>(features.rows * 10, 0.1F);
  }
  int num_classes() const override { return 10; }
};

// ns per request per thread of OnPredictions + OnRequest on `threads`
// threads for `seconds`, with `model` swapped in first.
double Measure(const ServedModel& model, const FeatureRows& row, int threads, double seconds,
               uint64_t& requests) {
  ServingMetrics metrics;
  metrics.OnSwapped(model);
  std::atomic<bool> stop{false};
  std::vector<uint64_t> done(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Prediction prediction;
      prediction.class_index = 7;
      prediction.label = "7";
      prediction.probabilities.assign(10, 0.01F);
      prediction.probabilities[7] = 0.91F;
      RequestRecord record;
      record.route = "/predict";
      record.method = "POST";
      record.status = 200;
      record.request_bytes = 600;
      record.response_bytes = 400;
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 256; ++i) {
          record.duration = std::chrono::microseconds(100 + (i & 63));
          metrics.OnPredictions(model, row, {&prediction, 1}, std::chrono::microseconds(45), "r1");
          metrics.OnRequest(record);
        }
        n += 256;
      }
      done[static_cast<size_t>(t)] = n;
    });
  }
  const Clock::time_point start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& worker : workers)
    worker.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  requests = 0;
  for (uint64_t n : done)
    requests += n;
  return elapsed * 1e9 * threads / static_cast<double>(requests);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  std::vector<int> thread_counts;
  for (int i = 2; i < argc; ++i)
    thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty())
    thread_counts = {1, 2};

  // A digits-like spec: 20x20 inputs and reference statistics, so the drift
  // window summarises every row as it does in the server; the same spec
  // without them ("drift off") keeps everything else.
  ml::ModelSpec spec;
  for (int i = 0; i < 10; ++i)
    spec.labels.push_back(std::to_string(i));
  spec.input.rows = 20;
  spec.input.cols = 20;
  ml::ModelSpec no_drift = spec;
  spec.reference.samples = 1000;
  spec.reference.class_priors.assign(10, 0.1);
  spec.reference.intensity = ml::MakeUnitHistogram(ml::kReferenceBins);
  spec.reference.ink_fraction = ml::MakeUnitHistogram(ml::kReferenceBins);
  for (int i = 0; i < 1000; ++i) {
    ml::AddToHistogram(spec.reference.intensity, 0.05 + 0.0002 * i);
    ml::AddToHistogram(spec.reference.ink_fraction, 0.04 + 0.0002 * i);
  }
  FeatureRows row{.rows = 1, .cols = 400, .values = std::vector<float>(400, 0.0F)};
  for (size_t i = 0; i < 400; i += 7)
    row.values[i] = 0.9F;
  const ModelIdentity identity{.name = "digits", .version = 1, .experiment_tag = "a1b2c3d"};
  auto with_drift = ServedModel::Create(identity, spec, std::make_unique<TenClasses>());
  auto without_drift = ServedModel::Create(identity, no_drift, std::make_unique<TenClasses>());
  if (!with_drift.ok() || !without_drift.ok()) {
    std::fprintf(stderr, "cannot make the model\n");
    return 1;
  }
  for (int threads : thread_counts) {
    // Alternate, so both see the same machine.
    for (int round = 0; round < 2; ++round) {
      for (const auto* model : {&*with_drift, &*without_drift}) {
        uint64_t requests = 0;
        const double ns = Measure(**model, row, threads, seconds / 2, requests);
        std::printf("threads=%d drift=%s requests=%llu ns_per_request_per_thread=%.1f\n", threads,
                    model == &*with_drift ? "on" : "off", static_cast<unsigned long long>(requests),
                    ns);
      }
    }
  }
  return 0;
}
