// ModelReaper: the one thread on which served models are destroyed.
//
// A model's destruction (freeing a booster, an ONNX graph, hundreds of MB) must
// not land on whichever request thread happened to drop the last handle, where
// it would stall that request (the hazard Triton works around). Adopt() wraps a
// model in a shared_ptr whose deleter only queues the pointer (a short
// critical section); the reaper thread deletes queued models in order.
//
// Lifetime: the queue outlives the reaper object (the deleters share it). Once
// the reaper is destroyed — it drains the queue and joins first — a model
// whose last handle is dropped later is deleted on the dropping thread.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <memory>
#include <thread>

#include "serving/served_model.h"

namespace conveyor::serving {

class ModelReaper {
 public:
  ModelReaper();   // starts the thread
  ~ModelReaper();  // deletes what is queued, then joins
  ModelReaper(const ModelReaper&) = delete;
  ModelReaper& operator=(const ModelReaper&) = delete;

  // A shared handle whose last release hands `model` to the reaper thread.
  std::shared_ptr<const ServedModel> Adopt(std::unique_ptr<const ServedModel> model);

  // Blocks until every model queued so far has been deleted (for tests and
  // orderly shutdown).
  void Drain();

  std::thread::id thread_id() const { return thread_.get_id(); }

 private:
  struct Queue;
  static void Run(const std::shared_ptr<Queue>& queue);

  // Constant after construction.
  std::shared_ptr<Queue> queue_;
  std::thread thread_;
};

}  // namespace conveyor::serving
