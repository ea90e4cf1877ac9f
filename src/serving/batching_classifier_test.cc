#include "serving/batching_classifier.h"

#include <gtest/gtest.h>

#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "testing/time_scale.h"

namespace conveyor::serving {
namespace {

using namespace std::chrono_literals;

// Two classes with P(class 0) = the row's first feature; records the row
// count of every call, and fails on demand.
class FakeClassifier : public ml::Classifier {
 public:
  Result<std::vector<float>> PredictProba(const ml::DenseMatrix& features) const override {
    {
      const std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(features.rows);
      if (fail_) {
        return Error(Code::kFailed, "backend broke");
      }
    }
    std::vector<float> out;
    for (size_t r = 0; r < features.rows; ++r) {
      const float p = features.values[r * features.cols];
      out.push_back(p);
      out.push_back(1.0F - p);
    }
    return out;
  }
  int num_classes() const override { return 2; }

  std::vector<size_t> calls() const {
    const std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  void set_fail(bool fail) {
    const std::lock_guard<std::mutex> lock(mu_);
    fail_ = fail;
  }

 private:
  mutable std::mutex mu_;
  mutable std::vector<size_t> calls_;
  bool fail_ = false;
};

struct Batched {
  FakeClassifier* fake = nullptr;  // owned by `model`
  std::unique_ptr<BatchingClassifier> model;
};

Batched MakeBatched(BatchOptions options) {
  auto fake = std::make_unique<FakeClassifier>();
  Batched out{.fake = fake.get()};
  auto model = BatchingClassifier::Create(std::move(fake), options);
  EXPECT_TRUE(model.ok()) << model.status().message();
  out.model = std::move(*model);
  return out;
}

// `threads` callers start together; caller t predicts one row whose first
// feature is t / 100 and gets back its own probabilities.
void PredictFromManyThreads(const BatchingClassifier& model, int threads, int rounds) {
  std::latch start(threads);
  std::vector<int> wrong(static_cast<size_t>(threads), 0);
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const std::vector<float> row = {static_cast<float>(t) / 100.0F, 0.5F};
      start.arrive_and_wait();
      for (int round = 0; round < rounds; ++round) {
        auto proba = model.PredictProba({1, 2, row});
        if (!proba.ok() || *proba != std::vector<float>{row[0], 1.0F - row[0]}) {
          ++wrong[static_cast<size_t>(t)];
        }
      }
    });
  }
  for (std::thread& thread : pool) {
    thread.join();
  }
  for (int t = 0; t < threads; ++t) {
    EXPECT_EQ(wrong[static_cast<size_t>(t)], 0) << "caller " << t;
  }
}

TEST(BatchingClassifierTest, RequestsArrivingTogetherShareOneBackendCall) {
  Batched b = MakeBatched({.max_batch = 4, .max_delay = 20ms});
  PredictFromManyThreads(*b.model, 8, 25);
  const BatchStats stats = b.model->stats();
  EXPECT_EQ(stats.rows, 200U);
  EXPECT_LE(stats.largest, 4U);
  // Eight callers and a 20 ms window: calls carry more than one row on
  // average (one row each would be 200 calls).
  EXPECT_LT(stats.batches, 150U) << stats.batches << " batches";
  size_t rows = 0;
  for (size_t n : b.fake->calls()) {
    EXPECT_GE(n, 1U);
    EXPECT_LE(n, 4U);
    rows += n;
  }
  EXPECT_EQ(rows, 200U);
}

TEST(BatchingClassifierTest, ALoneRequestWaitsAtMostTheDelay) {
  Batched b = MakeBatched({.max_batch = 8, .max_delay = 30ms});
  const std::vector<float> row = {0.25F, 0.0F};
  const auto start = std::chrono::steady_clock::now();
  auto proba = b.model->PredictProba({1, 2, row});
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(proba.ok()) << proba.status().message();
  EXPECT_EQ(*proba, (std::vector<float>{0.25F, 0.75F}));
  EXPECT_GE(waited, 25ms);
  EXPECT_LT(waited, conveyor::testing::Scaled(2000ms));
  EXPECT_EQ(b.fake->calls(), std::vector<size_t>{1});
}

TEST(BatchingClassifierTest, AFullBatchDoesNotWaitForTheDelay) {
  // Two callers, a batch of two and a delay far beyond the test's patience:
  // the second arrival completes the batch and both return at once.
  Batched b = MakeBatched({.max_batch = 2, .max_delay = 60s});
  const auto start = std::chrono::steady_clock::now();
  PredictFromManyThreads(*b.model, 2, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_EQ(b.fake->calls(), std::vector<size_t>{2});
}

TEST(BatchingClassifierTest, RunsAtOnceWhenEveryPossibleCallerIsQueued) {
  // Room for eight rows, but only two threads can ever call: the second
  // arrival makes the batch complete.
  Batched b = MakeBatched({.max_batch = 8, .max_delay = 60s, .max_callers = 2});
  const auto start = std::chrono::steady_clock::now();
  PredictFromManyThreads(*b.model, 2, 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_EQ(b.model->stats().rows, 6U);
}

TEST(BatchingClassifierTest, BigRequestsBypassTheQueue) {
  Batched b = MakeBatched({.max_batch = 2, .max_delay = 60s});
  const std::vector<float> rows = {0.1F, 0.0F, 0.2F, 0.0F, 0.3F, 0.0F};
  auto proba = b.model->PredictProba({3, 2, rows});
  ASSERT_TRUE(proba.ok());
  EXPECT_EQ(proba->size(), 6U);
  EXPECT_EQ(b.model->stats().batches, 0U);
}

TEST(BatchingClassifierTest, ABackendErrorReachesEveryMember) {
  Batched b = MakeBatched({.max_batch = 2, .max_delay = 60s});
  b.fake->set_fail(true);
  std::latch start(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < 2; ++t) {
    pool.emplace_back([&, t] {
      const std::vector<float> row = {0.5F, 0.5F};
      start.arrive_and_wait();
      auto proba = b.model->PredictProba({1, 2, row});
      errors[t] = proba.ok() ? "ok" : proba.status().message();
    });
  }
  for (std::thread& thread : pool) {
    thread.join();
  }
  EXPECT_EQ(errors, (std::vector<std::string>{"backend broke", "backend broke"}));
}

TEST(BatchingClassifierTest, RowsOfAnotherWidthRunAloneWithTheirOwnAnswer) {
  Batched b = MakeBatched({.max_batch = 2, .max_delay = 60s});
  std::latch start(2);
  std::vector<std::vector<float>> answers(2);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < 2; ++t) {
    pool.emplace_back([&, t] {
      const std::vector<float> row =
          t == 0 ? std::vector<float>{0.5F, 0.5F} : std::vector<float>{0.25F, 0.5F, 0.5F};
      start.arrive_and_wait();
      auto proba = b.model->PredictProba({1, row.size(), row});
      answers[t] = proba.ok() ? *proba : std::vector<float>{};
    });
  }
  for (std::thread& thread : pool) {
    thread.join();
  }
  EXPECT_EQ(answers[0], (std::vector<float>{0.5F, 0.5F}));
  EXPECT_EQ(answers[1], (std::vector<float>{0.25F, 0.75F}));
}

TEST(BatchingClassifierTest, RejectsSettingsThatAreNotBatching) {
  auto one = BatchingClassifier::Create(std::make_unique<FakeClassifier>(), {.max_batch = 1});
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().message(), "batching: max batch 1 is below 2 (1 means no batching)");
  auto none = BatchingClassifier::Create(nullptr, {.max_batch = 4});
  EXPECT_FALSE(none.ok());
}

}  // namespace
}  // namespace conveyor::serving
