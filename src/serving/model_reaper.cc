#include "serving/model_reaper.h"

#include <condition_variable>
#include <deque>
#include <mutex>

#include "common/memory_trim.h"

namespace conveyor::serving {

struct ModelReaper::Queue {
  std::mutex mu;
  std::condition_variable changed;
  // Guarded by mu.
  std::deque<const ServedModel*> pending;  // owned; deleted by the reaper thread
  size_t in_flight = 0;                    // taken from `pending`, not yet deleted
  bool stopping = false;                   // the thread is gone or going
};

ModelReaper::ModelReaper()
    : queue_(std::make_shared<Queue>()), thread_([queue = queue_] { Run(queue); }) {}

ModelReaper::~ModelReaper() {
  {
    const std::lock_guard<std::mutex> lock(queue_->mu);
    queue_->stopping = true;
  }
  queue_->changed.notify_all();
  thread_.join();
}

void ModelReaper::Run(const std::shared_ptr<Queue>& queue) {
  std::unique_lock<std::mutex> lock(queue->mu);
  while (true) {
    queue->changed.wait(lock, [&] { return queue->stopping || !queue->pending.empty(); });
    if (queue->pending.empty()) {
      return;  // stopping, and nothing left
    }
    const ServedModel* model = queue->pending.front();
    queue->pending.pop_front();
    ++queue->in_flight;
    lock.unlock();
    delete model;  // NOLINT(cppcoreguidelines-owning-memory): the queue owns it
    TrimFreedMemory();
    lock.lock();
    --queue->in_flight;
    queue->changed.notify_all();
  }
}

std::shared_ptr<const ServedModel> ModelReaper::Adopt(std::unique_ptr<const ServedModel> model) {
  return std::shared_ptr<const ServedModel>(
      model.release(), [queue = queue_](const ServedModel* released) {
        std::unique_lock<std::mutex> lock(queue->mu);
        if (queue->stopping) {
          lock.unlock();
          delete released;  // NOLINT(cppcoreguidelines-owning-memory): the reaper is gone
          return;
        }
        queue->pending.push_back(released);
        lock.unlock();
        queue->changed.notify_all();
      });
}

void ModelReaper::Drain() {
  std::unique_lock<std::mutex> lock(queue_->mu);
  queue_->changed.wait(lock, [&] { return queue_->pending.empty() && queue_->in_flight == 0; });
}

}  // namespace conveyor::serving
