#include "serving/batching_classifier.h"

#include <algorithm>
#include <optional>

namespace conveyor::serving {

struct BatchingClassifier::Request {
  const ml::DenseMatrix* features = nullptr;
  std::optional<Result<std::vector<float>>> result;  // set when done
  bool taken = false;                                // guarded by mu_; in a batch that is running
  bool done = false;                                 // guarded by mu_; `result` is set
};

BatchingClassifier::BatchingClassifier(std::unique_ptr<ml::Classifier> inner, BatchOptions options)
    : inner_(std::move(inner)), options_(options) {}

Result<std::unique_ptr<BatchingClassifier>> BatchingClassifier::Create(
    std::unique_ptr<ml::Classifier> inner, BatchOptions options) {
  if (inner == nullptr) {
    return Error(Code::kInvalid, "batching: no classifier to wrap");
  }
  if (options.max_batch < 2) {
    return Error(Code::kInvalid, "batching: max batch {} is below 2 (1 means no batching)",
                 options.max_batch);
  }
  if (options.max_delay.count() < 0) {
    return Error(Code::kInvalid, "batching: max delay is negative");
  }
  return std::unique_ptr<BatchingClassifier>(new BatchingClassifier(std::move(inner), options));
}

BatchStats BatchingClassifier::stats() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

Result<std::vector<float>> BatchingClassifier::PredictProba(const ml::DenseMatrix& features) const {
  if (features.rows == 0 || features.rows >= options_.max_batch) {
    return inner_->PredictProba(features);
  }
  Request me{.features = &features};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&me);
  queued_rows_ += features.rows;
  changed_.notify_all();  // a leader waiting for a full batch may have one now
  while (!me.done) {
    if (me.taken || collecting_) {
      changed_.wait(lock);
      continue;
    }
    // Lead the next batch; `me` is still queued, so the batch is not empty.
    collecting_ = true;
    changed_.wait_until(lock, std::chrono::steady_clock::now() + options_.max_delay, [&] {
      return queued_rows_ >= options_.max_batch ||
             (options_.max_callers > 0 && queue_.size() >= options_.max_callers);
    });
    std::vector<Request*> batch;
    size_t rows = 0;
    while (!queue_.empty() &&
           (batch.empty() || rows + queue_.front()->features->rows <= options_.max_batch)) {
      rows += queue_.front()->features->rows;
      queue_.front()->taken = true;
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    queued_rows_ -= rows;
    ++stats_.batches;
    stats_.rows += rows;
    stats_.largest = std::max(stats_.largest, rows);
    collecting_ = false;
    changed_.notify_all();  // the next leader may start collecting
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    for (Request* member : batch) {
      member->done = true;
    }
    changed_.notify_all();
  }
  return std::move(*me.result);
}

void BatchingClassifier::RunBatch(const std::vector<Request*>& batch) const {
  if (batch.size() == 1) {
    batch.front()->result = inner_->PredictProba(*batch.front()->features);
    return;
  }
  const size_t cols = batch.front()->features->cols;
  size_t rows = 0;
  for (const Request* member : batch) {
    rows += member->features->rows;
  }
  // Members must agree on the row width to share a call; one that does not
  // (a malformed request) runs alone and gets its own error.
  std::vector<float> values;
  values.reserve(rows * cols);
  std::vector<Request*> joined;
  joined.reserve(batch.size());
  for (Request* member : batch) {
    if (member->features->cols != cols ||
        member->features->values.size() != member->features->rows * cols) {
      member->result = inner_->PredictProba(*member->features);
      continue;
    }
    values.insert(values.end(), member->features->values.begin(), member->features->values.end());
    joined.push_back(member);
  }
  const size_t joined_rows = values.size() / std::max<size_t>(cols, 1);
  Result<std::vector<float>> all = inner_->PredictProba({joined_rows, cols, values});
  const auto k = static_cast<size_t>(inner_->num_classes());
  if (all.ok() && all->size() != joined_rows * k) {
    all = Error(Code::kInternal, "batching: backend returned {} probabilities for {} rows of {}",
                all->size(), joined_rows, k);
  }
  size_t offset = 0;
  for (Request* member : joined) {
    if (!all.ok()) {
      member->result = all.status();
      continue;
    }
    const size_t n = member->features->rows * k;
    member->result = std::vector<float>(all->begin() + static_cast<ptrdiff_t>(offset),
                                        all->begin() + static_cast<ptrdiff_t>(offset + n));
    offset += n;
  }
}

}  // namespace conveyor::serving
