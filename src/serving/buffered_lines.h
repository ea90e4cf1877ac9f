// BufferedLines: whole lines collected from many threads and handed to a
// writer in batches by a background thread — as soon as `buffer_bytes` have
// collected, at the latest `flush_interval` after the first of them, and on
// Flush() and destruction. At thousands of lines a second a write per line
// would cost a system call and a lock hand-over each; this costs one per
// batch, and the threads that add lines (a server's request threads) do not
// wait for the disk. Only when the writer falls `backlog_bytes` behind (a
// stalled disk) does Add write on its caller's thread, which bounds the
// memory held and slows the producers instead. A crash loses at most the last
// interval's lines; a graceful shutdown loses none. The access log and the
// prediction log write through it.
//
// Thread safety: Add and Flush may be called from any thread; `write` is
// called from one thread at a time, batches in the order their lines were
// added, each batch a whole number of the strings given to Add.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace conveyor::serving {

struct BufferedLinesOptions {
  std::chrono::milliseconds flush_interval{200};
  size_t buffer_bytes = size_t{64} * 1024;
  // At least buffer_bytes; equal to it, every full buffer is written by the
  // thread that filled it.
  size_t backlog_bytes = size_t{16} * 1024 * 1024;
};

class BufferedLines {
 public:
  using Writer = std::function<void(std::string_view batch)>;

  explicit BufferedLines(Writer write, BufferedLinesOptions options = {});
  // Writes out what is buffered.
  ~BufferedLines();
  BufferedLines(const BufferedLines&) = delete;
  BufferedLines& operator=(const BufferedLines&) = delete;

  // Queues `lines` (one or more, each ending in '\n').
  void Add(std::string_view lines);
  // Writes out whatever is buffered, before returning.
  void Flush();

 private:
  void FlushLoop();

  const Writer write_;
  const BufferedLinesOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::string buffer_;   // guarded by mu_
  bool stop_ = false;    // guarded by mu_
  std::mutex write_mu_;  // keeps batches in order; taken before mu_
  std::thread flusher_;
};

}  // namespace conveyor::serving
