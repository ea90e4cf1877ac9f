#include "cache/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace conveyor {

int DefaultThreadCount() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

Status ParallelFor(size_t count, int threads, const std::function<Status(size_t)>& fn) {
  if (threads <= 1 || count <= 1) {
    for (size_t i = 0; i < count; ++i)
      RETURN_IF_ERROR(fn(i));
    return OkStatus();
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first_error;  // guarded by mu
  auto work = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= count)
        return;
      Status status = fn(i);
      if (!status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failed.exchange(true))
          first_error = status;
        return;
      }
    }
  };
  size_t extra = std::min(count, static_cast<size_t>(threads)) - 1;
  std::vector<std::thread> pool;
  pool.reserve(extra);
  for (size_t t = 0; t < extra; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread& thread : pool)
    thread.join();
  return first_error;
}

}  // namespace conveyor
