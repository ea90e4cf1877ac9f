// backend_bench [XGBOOST_MODEL_DIR] [ONNX_MODEL_DIR] [SECONDS]: the two
// serving questions of issue 5 about the backends, answered in process (no
// HTTP), on feature rows the way the server hands them over:
//
//   threads:  single-row predictions per second with the backend's own
//             threading at its default (all cores) and capped at 1, from 1
//             and from 2 calling threads (the server's request threads);
//   batches:  the cost per row of one backend call on N rows, N = 1..64;
//   batching: 1 to 16 calling threads, each predicting one row at a time,
//             directly and through BatchingClassifier (max batch 8, 500 us),
//             as the server would with --batch-size 8.
//
// A model directory holds model.yaml and the model file; ONNX_MODEL_DIR
// defaults to the CNN fixture src/serving/testdata/digits-cnn, and without
// XGBOOST_MODEL_DIR ("-" skips it) the XGBoost rows are left out. Each figure
// is a fixed-duration loop (SECONDS, default 2). The input row is the model
// spec's sample input, preprocessed as the server would.
#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ml/backend_threads.h"
#include "ml/classifier.h"
#include "ml/model_spec.h"
#include "ml/preprocessing.h"
#include "serving/batching_classifier.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using conveyor::ml::Classifier;
using conveyor::ml::DenseMatrix;

struct Model {
  fs::path dir;
  std::string name;
  conveyor::ml::ModelSpec spec;
  std::unique_ptr<Classifier> classifier;
  std::vector<float> row;  // the preprocessed sample input
};

Model Load(const fs::path& dir) {
  auto spec = conveyor::ml::ReadModelSpec(dir / "model.yaml");
  if (!spec.ok()) {
    fmt::print(stderr, "backend_bench: {}\n", spec.status().message());
    std::exit(1);
  }
  auto classifier = conveyor::ml::LoadClassifier(*spec, dir);
  if (!classifier.ok()) {
    fmt::print(stderr, "backend_bench: {}\n", classifier.status().message());
    std::exit(1);
  }
  const std::vector<float> raw(spec->sample_input.pixels.begin(), spec->sample_input.pixels.end());
  auto row = conveyor::ml::ApplyPreprocessing(spec->input, raw);
  if (!row.ok()) {
    fmt::print(stderr, "backend_bench: {}\n", row.status().message());
    std::exit(1);
  }
  return {dir, spec->backend, *spec, std::move(*classifier), std::move(*row)};
}

struct Rate {
  double calls_per_s = 0;
  double mean_us = 0;  // per call, as each caller saw it
};

// `callers` threads call `model` on `rows` copies of the sample row for
// `seconds`; every call must succeed.
Rate Measure(const Classifier& model, const std::vector<float>& row, size_t rows, int callers,
             double seconds) {
  std::vector<float> batch;
  batch.reserve(rows * row.size());
  for (size_t i = 0; i < rows; ++i) {
    batch.insert(batch.end(), row.begin(), row.end());
  }
  const DenseMatrix m{rows, row.size(), batch};
  std::atomic<uint64_t> calls{0};
  std::atomic<bool> failed{false};
  std::latch start(callers + 1);
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(callers));
  Clock::time_point end;
  for (int t = 0; t < callers; ++t) {
    pool.emplace_back([&] {
      start.arrive_and_wait();
      uint64_t mine = 0;
      while (Clock::now() < end) {
        if (!model.PredictProba(m).ok()) {
          failed = true;
        }
        ++mine;
      }
      calls += mine;
    });
  }
  const Clock::time_point begin = Clock::now();
  end = begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  start.arrive_and_wait();
  for (std::thread& thread : pool) {
    thread.join();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  if (failed) {
    fmt::print(stderr, "backend_bench: a prediction failed\n");
    std::exit(1);
  }
  const double rate = static_cast<double>(calls) / elapsed;
  return {rate, 1e6 * callers / rate};
}

void Threads(const Model& model, double seconds) {
  fmt::print("\n== {}: single-row predictions/s by backend threads and calling threads\n",
             model.name);
  fmt::print("{:>16} {:>9} {:>14} {:>12}\n", "backend threads", "callers", "predictions/s",
             "mean us");
  for (int backend : {0, 1}) {
    conveyor::ml::SetBackendThreads(backend);
    const Model fresh = Load(model.dir);  // XGBoost reads the setting at load time
    for (int callers : {1, 2}) {
      const Rate r = Measure(*fresh.classifier, model.row, 1, callers, seconds);
      fmt::print("{:>16} {:>9} {:>14.0f} {:>12.1f}\n", backend == 0 ? "default" : "1", callers,
                 r.calls_per_s, r.mean_us);
    }
  }
  conveyor::ml::SetBackendThreads(1);
}

void Batches(const Model& model, double seconds) {
  fmt::print("\n== {}: one call on N rows, one caller, backend threads 1\n", model.name);
  fmt::print("{:>6} {:>12} {:>10}\n", "rows", "us/call", "us/row");
  for (size_t rows : {1, 2, 4, 8, 16, 32, 64}) {
    const Rate r = Measure(*model.classifier, model.row, rows, 1, seconds);
    fmt::print("{:>6} {:>12.1f} {:>10.1f}\n", rows, r.mean_us,
               r.mean_us / static_cast<double>(rows));
  }
}

void Batching(const Model& model, double seconds) {
  fmt::print(
      "\n== {}: callers each predicting one row, direct vs batched (max 8, 500 us, as many "
      "callers as threads)\n",
      model.name);
  fmt::print("{:>9} {:>16} {:>10} {:>16} {:>10} {:>10}\n", "callers", "direct rows/s", "mean us",
             "batched rows/s", "mean us", "rows/call");
  for (int callers : {1, 2, 4, 8, 16}) {
    const Rate d = Measure(*model.classifier, model.row, 1, callers, seconds);
    // As `conveyor serve --threads CALLERS --batch-size 8` sets it up.
    auto batched = conveyor::serving::BatchingClassifier::Create(
        Load(model.dir).classifier, {.max_batch = 8,
                                     .max_delay = std::chrono::microseconds(500),
                                     .max_callers = static_cast<size_t>(callers)});
    if (!batched.ok()) {
      fmt::print(stderr, "backend_bench: {}\n", batched.status().message());
      std::exit(1);
    }
    const auto before = (*batched)->stats();
    const Rate b = Measure(**batched, model.row, 1, callers, seconds);
    const auto after = (*batched)->stats();
    const double per_call =
        static_cast<double>(after.rows - before.rows) /
        static_cast<double>(std::max<uint64_t>(after.batches - before.batches, 1));
    fmt::print("{:>9} {:>16.0f} {:>10.1f} {:>16.0f} {:>10.1f} {:>10.2f}\n", callers, d.calls_per_s,
               d.mean_us, b.calls_per_s, b.mean_us, per_call);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path source = fs::path(__FILE__).parent_path().parent_path();
  const std::string xgb = argc > 1 ? argv[1] : "-";
  const std::string onnx =
      argc > 2 ? argv[2] : (source / "src/serving/testdata/digits-cnn").string();
  const double seconds = argc > 3 ? std::atof(argv[3]) : 2.0;
  fmt::print("backend_bench: {} cores, {:.1f} s per figure\n", std::thread::hardware_concurrency(),
             seconds);
  conveyor::ml::SetBackendThreads(1);
  if (xgb != "-") {
    const Model model = Load(xgb);
    Threads(model, seconds);
    Batches(model, seconds);
    Batching(model, seconds);
  }
  const Model cnn = Load(onnx);
  Threads(cnn, seconds);
  Batches(cnn, seconds);
  Batching(cnn, seconds);
  return 0;
}
