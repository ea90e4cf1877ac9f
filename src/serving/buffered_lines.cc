#include "serving/buffered_lines.h"

#include <utility>

namespace conveyor::serving {

BufferedLines::BufferedLines(Writer write, BufferedLinesOptions options)
    : write_(std::move(write)), options_(options) {
  buffer_.reserve(options_.buffer_bytes);
  flusher_ = std::thread([this] { FlushLoop(); });
}

BufferedLines::~BufferedLines() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  flusher_.join();
  Flush();
}

void BufferedLines::Add(std::string_view lines) {
  bool full = false;
  {
    std::lock_guard lock(mu_);
    const bool was_empty = buffer_.empty();
    buffer_ += lines;
    full = buffer_.size() >= options_.buffer_bytes;
    if (was_empty && !full) {
      wake_.notify_one();  // starts the flush interval
    }
  }
  if (full) {
    Flush();
  }
}

void BufferedLines::Flush() {
  std::lock_guard write_lock(write_mu_);
  std::string batch;
  batch.reserve(options_.buffer_bytes);
  {
    std::lock_guard lock(mu_);
    batch.swap(buffer_);
  }
  if (!batch.empty()) {
    write_(batch);
  }
}

void BufferedLines::FlushLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait(lock, [this] { return stop_ || !buffer_.empty(); });
    if (stop_) {
      return;
    }
    // Lines are waiting: give others the interval to join them.
    wake_.wait_for(lock, options_.flush_interval, [this] { return stop_; });
    lock.unlock();
    Flush();
    lock.lock();
  }
}

}  // namespace conveyor::serving
