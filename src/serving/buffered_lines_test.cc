#include "serving/buffered_lines.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace conveyor::serving {
namespace {

using std::chrono::milliseconds;

// A writer that records each batch and the thread that wrote it, and that
// can be held (a stalled disk) until released.
class RecordingWriter {
 public:
  void Write(std::string_view batch) {
    std::unique_lock lock(mu_);
    batches_.emplace_back(batch);
    threads_.push_back(std::this_thread::get_id());
    changed_.notify_all();
    changed_.wait(lock, [this] { return !held_; });
  }
  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    std::lock_guard lock(mu_);
    held_ = false;
    changed_.notify_all();
  }
  // Waits (bounded) until `n` batches have arrived.
  bool WaitForBatches(size_t n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return batches_.size() >= n; });
  }
  std::string Text() {
    std::lock_guard lock(mu_);
    std::string all;
    for (const std::string& batch : batches_)
      all += batch;
    return all;
  }
  std::vector<std::thread::id> Threads() {
    std::lock_guard lock(mu_);
    return threads_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> batches_;
  std::vector<std::thread::id> threads_;
  bool held_ = false;
};

BufferedLines::Writer To(RecordingWriter& writer) {
  return [&writer](std::string_view batch) { writer.Write(batch); };
}

TEST(BufferedLinesTest, AFullBufferIsWrittenAtOnceByTheFlusherNotByTheAddingThread) {
  RecordingWriter writer;
  BufferedLines lines(To(writer), {.flush_interval = std::chrono::hours(1), .buffer_bytes = 10});
  lines.Add("12345\n");
  lines.Add("67890\n");  // 12 bytes: full, long before the interval ends
  ASSERT_TRUE(writer.WaitForBatches(1));
  EXPECT_EQ(writer.Text(), "12345\n67890\n");
  EXPECT_NE(writer.Threads().front(), std::this_thread::get_id());
}

TEST(BufferedLinesTest, AWriterFallingTheBacklogBehindHoldsBackTheAddingThreads) {
  RecordingWriter writer;
  BufferedLines lines(
      To(writer),
      {.flush_interval = std::chrono::hours(1), .buffer_bytes = 10, .backlog_bytes = 30});
  writer.Hold();
  lines.Add("first-line\n");  // 11 bytes: the flusher takes them and stalls
  ASSERT_TRUE(writer.WaitForBatches(1));
  lines.Add("second-line\n");  // 12 bytes behind: buffered, Add returns
  lines.Add("third-line\n");   // 23 behind
  std::future<void> fourth =
      std::async(std::launch::async, [&] { lines.Add("fourth-line\n"); });  // 35 behind
  EXPECT_EQ(fourth.wait_for(milliseconds(100)), std::future_status::timeout)
      << "Add returned while the writer was 35 bytes behind (backlog 30)";
  writer.Release();
  ASSERT_EQ(fourth.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  lines.Flush();
  EXPECT_EQ(writer.Text(), "first-line\nsecond-line\nthird-line\nfourth-line\n");
}

TEST(BufferedLinesTest, WhatIsLeftIsWrittenOnDestructionInOrder) {
  RecordingWriter writer;
  {
    BufferedLines lines(To(writer), {.flush_interval = std::chrono::hours(1)});
    for (int i = 0; i < 100; ++i)
      lines.Add(std::to_string(i) + "\n");
  }
  std::string expected;
  for (int i = 0; i < 100; ++i)
    expected += std::to_string(i) + "\n";
  EXPECT_EQ(writer.Text(), expected);
}

}  // namespace
}  // namespace conveyor::serving
