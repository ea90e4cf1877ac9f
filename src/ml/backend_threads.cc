#include "ml/backend_threads.h"

#include <atomic>
#include <opencv2/core/utility.hpp>

namespace conveyor::ml {
namespace {

std::atomic<int> g_backend_threads{0};

}  // namespace

void SetBackendThreads(int n) {
  n = n < 0 ? 0 : n;
  g_backend_threads.store(n, std::memory_order_relaxed);
  // OpenCV: a negative value restores its default thread count.
  cv::setNumThreads(n == 0 ? -1 : n);
}

int BackendThreads() { return g_backend_threads.load(std::memory_order_relaxed); }

}  // namespace conveyor::ml
