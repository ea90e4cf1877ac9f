// predict_bench: what one /predict costs without HTTP. Loads a model
// directory (model.yaml + model file) the way the server does
// (ml::ReadModelSpec, ml::LoadClassifier, serving::ServedModel::Create),
// then calls DecodeModelInput + ServedModel::Predict on the same PNG bytes
// in a loop for a fixed time, on 1 thread and on N threads at once, and
// prints the total rate and the per-call latency. bench/serving/run.sh
// compares the rate on N = cores threads with the served requests/s.
//
//   predict_bench MODEL_DIR IMAGE [SECONDS [THREADS...]]
//     SECONDS  per measurement, default 5
//     THREADS  thread counts to measure, default "1 <hardware threads>"
//
// One line per thread count, words "key=value" for scripts:
//   threads=2 calls=123456 seconds=5.001 rps=24686.3 p50_us=78.1 p99_us=140.2
//   mean_us=80.9 label=3
// Exit status 1 when loading or any call fails.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/file_util.h"
#include "ml/backend_threads.h"
#include "ml/classifier.h"
#include "ml/model_spec.h"
#include "serving/model_input.h"
#include "serving/served_model.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct ThreadResult {
  std::vector<float> latencies_us;  // one per call
  std::string label;                // of the last call
  std::string error;                // the first failure, if any
};

// One thread's loop: decode + preprocess + predict until `stop`.
void Run(const serving::ServedModel& model, const std::string& image, const std::atomic<bool>& stop,
         ThreadResult& out) {
  out.latencies_us.reserve(1 << 20);
  while (!stop.load(std::memory_order_relaxed)) {
    const auto start = Clock::now();
    serving::InputResult input = serving::DecodeModelInput(model.spec(), "image/png", image);
    if (!input.ok()) {
      out.error = input.error().message;
      return;
    }
    Result<std::vector<serving::Prediction>> predictions = model.Predict(input.value());
    if (!predictions.ok()) {
      out.error = predictions.status().message();
      return;
    }
    const auto end = Clock::now();
    out.latencies_us.push_back(std::chrono::duration<float, std::micro>(end - start).count());
    out.label = predictions->front().label;
  }
}

// The q-quantile (0..1) of sorted values, nearest rank.
float Quantile(const std::vector<float>& sorted, double q) {
  if (sorted.empty()) {
    return 0;
  }
  const size_t rank = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

// Measures `threads` threads for `seconds`; prints one line. False on a failure.
bool Measure(const serving::ServedModel& model, const std::string& image, int threads,
             double seconds) {
  std::atomic<bool> stop{false};
  std::vector<ThreadResult> results(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] { Run(model, image, stop, results[static_cast<size_t>(t)]); });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true);
  for (std::thread& worker : workers) {
    worker.join();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<float> all;
  double sum = 0;
  for (const ThreadResult& r : results) {
    if (!r.error.empty()) {
      std::fprintf(stderr, "predict_bench: %s\n", r.error.c_str());
      return false;
    }
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
  }
  for (float v : all) {
    sum += v;
  }
  std::sort(all.begin(), all.end());
  const double calls = static_cast<double>(all.size());
  std::printf(
      "threads=%d calls=%zu seconds=%.3f rps=%.1f p50_us=%.1f p99_us=%.1f mean_us=%.1f "
      "label=%s\n",
      threads, all.size(), elapsed, calls / elapsed, Quantile(all, 0.50), Quantile(all, 0.99),
      calls > 0 ? sum / calls : 0.0, results[0].label.c_str());
  std::fflush(stdout);
  return true;
}

int Main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: predict_bench MODEL_DIR IMAGE [SECONDS [THREADS...]]\n");
    return 2;
  }
  const fs::path model_dir = argv[1];
  const double seconds = argc > 3 ? std::stod(argv[3]) : 5.0;
  std::vector<int> thread_counts;
  for (int i = 4; i < argc; ++i) {
    thread_counts.push_back(std::stoi(argv[i]));
  }
  if (thread_counts.empty()) {
    thread_counts = {1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))};
  }

  Result<std::string> image = ReadFileToString(argv[2]);
  if (!image.ok()) {
    std::fprintf(stderr, "predict_bench: %s\n", image.status().message().c_str());
    return 1;
  }
  // One backend thread per prediction, as `conveyor serve` sets it by default
  // (--backend-threads 1), so that both sides run the same backend work.
  ml::SetBackendThreads(1);
  Result<ml::ModelSpec> spec = ml::ReadModelSpec(model_dir / "model.yaml");
  if (!spec.ok()) {
    std::fprintf(stderr, "predict_bench: %s\n", spec.status().message().c_str());
    return 1;
  }
  Result<std::unique_ptr<ml::Classifier>> classifier = ml::LoadClassifier(*spec, model_dir);
  if (!classifier.ok()) {
    std::fprintf(stderr, "predict_bench: %s\n", classifier.status().message().c_str());
    return 1;
  }
  serving::ModelIdentity identity;
  identity.name = spec->name;
  Result<std::unique_ptr<serving::ServedModel>> model =
      serving::ServedModel::Create(std::move(identity), std::move(*spec), std::move(*classifier));
  if (!model.ok()) {
    std::fprintf(stderr, "predict_bench: %s\n", model.status().message().c_str());
    return 1;
  }
  // As the server does before it takes requests: check, then warm.
  for (const Status& status : {(*model)->Check(), (*model)->Warm(100)}) {
    if (!status.ok()) {
      std::fprintf(stderr, "predict_bench: %s\n", status.message().c_str());
      return 1;
    }
  }
  for (int threads : thread_counts) {
    if (!Measure(**model, *image, threads, seconds)) {
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace conveyor

int main(int argc, char** argv) { return conveyor::Main(argc, argv); }
