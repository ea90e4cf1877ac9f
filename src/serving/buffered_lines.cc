#include "serving/buffered_lines.h"

#include <algorithm>
#include <utility>

namespace conveyor::serving {

namespace {

BufferedLinesOptions Checked(BufferedLinesOptions options) {
  options.backlog_bytes = std::max(options.backlog_bytes, options.buffer_bytes);
  return options;
}

}  // namespace

BufferedLines::BufferedLines(Writer write, BufferedLinesOptions options)
    : write_(std::move(write)), options_(Checked(options)) {
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
  bool behind = false;
  {
    std::lock_guard lock(mu_);
    const size_t before = buffer_.size();
    buffer_ += lines;
    behind = buffer_.size() >= options_.backlog_bytes;
    const bool filled = before < options_.buffer_bytes && buffer_.size() >= options_.buffer_bytes;
    if (!behind && (before == 0 || filled)) {
      wake_.notify_one();  // starts the flush interval, or ends it early
    }
  }
  if (behind) {
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
    // Lines are waiting: give others the interval to join them, unless
    // they fill the buffer first.
    wake_.wait_for(lock, options_.flush_interval,
                   [this] { return stop_ || buffer_.size() >= options_.buffer_bytes; });
    lock.unlock();
    Flush();
    lock.lock();
  }
}

}  // namespace conveyor::serving
