// The ONNX backend served: the digits CNN fixture (testdata/digits-cnn, the
// examples/digits-cnn pipeline's real output) behind a ServedModel, alone and
// through the batching decorator, with the example's sample image.
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "common/file_util.h"
#include "ml/classifier.h"
#include "ml/model_spec.h"
#include "serving/batching_classifier.h"
#include "serving/model_input.h"
#include "serving/served_model.h"

namespace conveyor::serving {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kCnnDir = fs::path(CONVEYOR_SERVING_TESTDATA) / "digits-cnn";
const fs::path kSampleImage = fs::path(CONVEYOR_SOURCE_DIR) / "examples/digits/sample-digit.pgm";

// The CNN as the server holds it; `batch` > 1 adds the batching decorator.
std::unique_ptr<ServedModel> ServeCnn(size_t batch = 1) {
  auto spec = ml::ReadModelSpec(kCnnDir / "model.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  auto classifier = ml::LoadClassifier(*spec, kCnnDir);
  EXPECT_TRUE(classifier.ok()) << classifier.status().message();
  std::unique_ptr<ml::Classifier> backend = std::move(*classifier);
  if (batch > 1) {
    auto batching =
        BatchingClassifier::Create(std::move(backend), {.max_batch = batch, .max_delay = 5ms});
    EXPECT_TRUE(batching.ok()) << batching.status().message();
    backend = std::move(*batching);
  }
  auto model = ServedModel::Create({.name = "digits-cnn", .version = 1}, std::move(*spec),
                                   std::move(backend));
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(*model);
}

TEST(OnnxServingTest, TheCnnPassesItsCheckAndReadsTheSampleImage) {
  std::unique_ptr<ServedModel> model = ServeCnn();
  ASSERT_TRUE(model->Check().ok()) << model->Check().message();
  ASSERT_TRUE(model->Warm(2).ok());
  auto bytes = ReadFileToString(kSampleImage);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  InputResult rows = DecodeModelInput(model->spec(), "image/x-portable-graymap", *bytes);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  auto predictions = model->Predict(rows.value());
  ASSERT_TRUE(predictions.ok()) << predictions.status().message();
  ASSERT_EQ(predictions->size(), 1U);
  EXPECT_EQ(predictions->front().label, "7");
  EXPECT_GT(predictions->front().probabilities[7], 0.9F);
}

TEST(OnnxServingTest, ConcurrentBatchedRequestsGetTheUnbatchedAnswers) {
  std::unique_ptr<ServedModel> plain = ServeCnn();
  std::unique_ptr<ServedModel> batched = ServeCnn(4);
  auto bytes = ReadFileToString(kSampleImage);
  ASSERT_TRUE(bytes.ok());
  InputResult rows = DecodeModelInput(plain->spec(), "image/x-portable-graymap", *bytes);
  ASSERT_TRUE(rows.ok());
  auto want = plain->Predict(rows.value());
  ASSERT_TRUE(want.ok());

  constexpr int kThreads = 6;
  std::latch start(kThreads);
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> pool;
  pool.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < 20; ++i) {
        auto got = batched->Predict(rows.value());
        if (!got.ok() || got->size() != 1 || got->front().label != want->front().label) {
          ++wrong[static_cast<size_t>(t)];
          continue;
        }
        for (size_t k = 0; k < 10; ++k) {
          if (std::abs(got->front().probabilities[k] - want->front().probabilities[k]) > 1e-5F) {
            ++wrong[static_cast<size_t>(t)];
            break;
          }
        }
      }
    });
  }
  for (std::thread& thread : pool) {
    thread.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(wrong[static_cast<size_t>(t)], 0) << "thread " << t;
  }
}

}  // namespace
}  // namespace conveyor::serving
