// BatchingClassifier: a Classifier decorator that runs the predictions of
// requests arriving together as one call to the wrapped backend.
//
// A CNN's forward pass has a fixed cost per call (allocations, layer setup)
// besides its cost per image, so N images in one call can be cheaper than N
// calls. Batching trades latency for that: a request may wait up to
// `max_delay` for others to join its batch. It is off by default in
// `conveyor serve` (--batch-size 1); docs/serving.md has the measurement.
//
// How a batch forms (no extra thread): the first caller to find no batch being
// collected becomes its leader and waits until `max_batch` rows are queued,
// every possible caller is queued, or `max_delay` has passed; it then takes up to `max_batch` rows
// from the queue in arrival order, hands leadership to the next caller, runs
// the backend on the concatenated rows outside the lock, and gives every
// member its slice of the answer. A caller whose rows did not fit waits for
// a later batch; a single request of `max_batch` rows or more bypasses the
// queue. A backend error fails every member of the batch with that error.
//
// Thread safety: PredictProba may be called from any number of threads; the
// queue is guarded by one mutex held only to enqueue and to take a batch.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "common/status.h"
#include "ml/classifier.h"

namespace conveyor::serving {

struct BatchOptions {
  // Most rows run in one backend call; 1 (or less) turns batching off.
  size_t max_batch = 1;
  // Longest a request waits for others to join its batch.
  std::chrono::microseconds max_delay{1000};
  // How many threads can call at once (the server's request threads); 0 if
  // unknown. When that many requests are queued nobody else can join, so the
  // batch runs without waiting out the delay.
  size_t max_callers = 0;
};

// Counters for tests and metrics.
struct BatchStats {
  uint64_t batches = 0;  // backend calls made through the queue
  uint64_t rows = 0;     // rows they carried
  size_t largest = 0;    // most rows in one call
};

class BatchingClassifier : public ml::Classifier {
 public:
  // Wraps `inner`, which must not be null; kInvalid when options.max_batch < 2.
  static Result<std::unique_ptr<BatchingClassifier>> Create(std::unique_ptr<ml::Classifier> inner,
                                                            BatchOptions options);

  Result<std::vector<float>> PredictProba(const ml::DenseMatrix& features) const override;
  int num_classes() const override { return inner_->num_classes(); }

  BatchStats stats() const;

 private:
  struct Request;

  BatchingClassifier(std::unique_ptr<ml::Classifier> inner, BatchOptions options);

  // Runs `batch` on the backend and fills each member's result; no lock held.
  void RunBatch(const std::vector<Request*>& batch) const;

  // Constant after construction.
  const std::unique_ptr<ml::Classifier> inner_;
  const BatchOptions options_;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  mutable std::deque<Request*> queue_;  // guarded by mu_; not yet taken
  mutable size_t queued_rows_ = 0;      // guarded by mu_
  mutable bool collecting_ = false;     // guarded by mu_; a leader is waiting
  mutable BatchStats stats_;            // guarded by mu_
};

}  // namespace conveyor::serving
