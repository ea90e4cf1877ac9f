// metrics_bench [SECONDS [THREADS...]]: the cost /metrics adds to one
// /predict request, in process: ServingMetrics::OnRequest for a 200 on
// POST /predict plus OnPredictions for one row, per request, on 1 and 2
// threads at once (default), the way the server's request threads call them.
// Prints ns per request. Compare with the server's CPU time per request
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

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  std::vector<int> thread_counts;
  for (int i = 2; i < argc; ++i)
    thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty())
    thread_counts = {1, 2};

  ml::ModelSpec spec;
  for (int i = 0; i < 10; ++i)
    spec.labels.push_back(std::to_string(i));
  auto model = ServedModel::Create({.name = "digits", .version = 1, .experiment_tag = "a1b2c3d"},
                                   spec, std::make_unique<TenClasses>());
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().message().c_str());
    return 1;
  }
  for (int threads : thread_counts) {
    ServingMetrics metrics;
    metrics.OnSwapped(**model);
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
            metrics.OnPredictions(**model, {&prediction, 1}, std::chrono::microseconds(45));
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
    uint64_t total = 0;
    for (uint64_t n : done)
      total += n;
    std::printf("threads=%d requests=%llu ns_per_request_per_thread=%.1f\n", threads,
                static_cast<unsigned long long>(total),
                elapsed * 1e9 * threads / static_cast<double>(total));
  }
  return 0;
}
