// Test helper: runs a classifier's PredictProba from many threads at once and
// expects every answer to equal the single-threaded one, which catches
// backends that share per-call state between threads (an output buffer, a
// network's intermediate blobs).
#pragma once

#include <gtest/gtest.h>

#include <latch>
#include <thread>
#include <vector>

#include "ml/classifier.h"

namespace conveyor::ml {

// Each of `threads` threads predicts every row of `m` on its own, `rounds`
// times, all starting together.
inline void ExpectConcurrentPredictionsMatch(const Classifier& model, const DenseMatrix& m,
                                             int threads, int rounds) {
  std::vector<std::vector<float>> want(m.rows);
  for (size_t r = 0; r < m.rows; ++r) {
    auto proba = model.PredictProba({1, m.cols, m.values.subspan(r * m.cols, m.cols)});
    ASSERT_TRUE(proba.ok()) << proba.status().message();
    want[r] = *proba;
  }
  std::latch start(threads);
  std::vector<int> mismatches(static_cast<size_t>(threads), 0);
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int round = 0; round < rounds; ++round) {
        for (size_t k = 0; k < m.rows; ++k) {
          const size_t r = (k + static_cast<size_t>(t)) % m.rows;  // threads out of step
          auto proba = model.PredictProba({1, m.cols, m.values.subspan(r * m.cols, m.cols)});
          if (!proba.ok() || *proba != want[r]) {
            ++mismatches[static_cast<size_t>(t)];
          }
        }
      }
    });
  }
  for (std::thread& thread : pool) {
    thread.join();
  }
  for (int t = 0; t < threads; ++t) {
    EXPECT_EQ(mismatches[static_cast<size_t>(t)], 0) << "thread " << t;
  }
}

}  // namespace conveyor::ml
