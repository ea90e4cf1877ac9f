// ModelManager: owns the model being served and replaces it without a pause.
//
// Request handlers call Current() once per request and keep the handle for
// that request only; they hold no model state. Replace() loads the next
// model off the request path (on the caller's thread, an admin request or
// the startup code), checks it against its spec's sample input, warms it,
// and only then publishes it with one atomic store. Requests that started
// before keep their handle to the old model; requests after see the new one.
// The old model is destroyed on the manager's reaper thread
// (model_reaper.h), never on a request thread.
//
// States (state()):
//
//   kEmpty ──Replace──▶ kLoading ──ok──▶ kReady ──Replace──▶ kSwapping
//     ▲                    │               ▲                    │
//     └──────failure───────┘               └───ok or failure────┘
//
//   kEmpty:    nothing to serve; Current() is null, ready() false.
//   kLoading:  the first model is loading; Current() still null.
//   kReady:    Current() is the model; ready() true.
//   kSwapping: a replacement is loading; Current() is still the old model
//              and stays so if the replacement fails (load, check or warm):
//              the old model keeps serving and Replace returns why.
//
// Thread safety: Current(), ready() and state() are safe from any thread and
// never wait for Replace. Replace calls are serialised by replace_mu_: a
// second caller waits for the first to finish, then does its own swap.
// The loader is called only under replace_mu_.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "common/status.h"
#include "serving/model_loader.h"
#include "serving/model_reaper.h"
#include "serving/served_model.h"

namespace conveyor::serving {

struct ModelManagerOptions {
  int warm_predictions = 3;  // Warm(n) before publishing; 0 skips warm-up
};

// Told the outcome of every Replace (the first load included), for metrics.
// Called on the replacing thread under the manager's replace lock, so calls
// never overlap; keep them quick. Must not call Replace.
class SwapObserver {
 public:
  virtual ~SwapObserver() = default;
  // `model` has just been published (Current() returns it).
  virtual void OnSwapped(const ServedModel& model) = 0;
  // Replace(`reference`) failed with `why`; nothing changed.
  virtual void OnSwapFailed(std::string_view reference, const Status& why) = 0;
};

struct SwapReport {
  ModelIdentity old_model;  // name empty when nothing was being served
  ModelIdentity new_model;
  std::chrono::microseconds load_time{0};
  std::chrono::microseconds check_time{0};
  std::chrono::microseconds warm_time{0};
};

class ModelManager {
 public:
  enum class State { kEmpty, kLoading, kReady, kSwapping };

  // `loader` must outlive the manager, and so must `observer` (optional:
  // told of each Replace's outcome).
  explicit ModelManager(ModelLoader& loader, ModelManagerOptions options = {},
                        SwapObserver* observer = nullptr);
  // Releases the current model and waits for the reaper to delete it.
  // Handles still held elsewhere are deleted by whoever drops them last.
  ~ModelManager();
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // The model to use for one request; null before the first successful
  // Replace. Costs one short uncontended-in-practice lock and a refcount
  // increment; never waits for a Replace in progress.
  std::shared_ptr<const ServedModel> Current() const;

  // Loads `ref` with the loader, Check()s and Warm()s it, then publishes it.
  // On failure nothing changes and the error (prefixed "load", "check" or
  // "warm-up") says why.
  Result<SwapReport> Replace(std::string_view ref);

  bool ready() const {
    const State now = state();
    return now == State::kReady || now == State::kSwapping;
  }
  State state() const { return state_.load(std::memory_order_acquire); }

  // The thread that destroys released models.
  std::thread::id reaper_thread_id() const { return reaper_.thread_id(); }
  // Waits until every released model has been destroyed.
  void DrainReaper() { reaper_.Drain(); }

 private:
  Result<SwapReport> ReplaceLocked(std::string_view ref);

  // Constant after construction.
  ModelLoader& loader_;
  const ModelManagerOptions options_;
  SwapObserver* const observer_;

  // Declared before current_ so that it is destroyed after it.
  ModelReaper reaper_;

  std::mutex replace_mu_;                    // held for the whole of Replace
  std::atomic<State> state_{State::kEmpty};  // written under replace_mu_

  // Guards current_ only; held for a pointer copy, never across a load.
  // (std::atomic<std::shared_ptr> in libstdc++ 12 releases its internal lock
  // with a relaxed store after a load, which is a data race by the C++ model
  // and reported by TSan; a mutex around one refcount increment is as cheap
  // in practice and clean.)
  mutable std::mutex current_mu_;
  // Guarded by current_mu_; replaced only under replace_mu_ too.
  std::shared_ptr<const ServedModel> current_;
};

// "empty", "loading", "ready", "swapping".
std::string_view ModelStateName(ModelManager::State state);

}  // namespace conveyor::serving
