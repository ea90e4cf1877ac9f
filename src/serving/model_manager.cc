#include "serving/model_manager.h"

#include "common/memory_trim.h"

namespace conveyor::serving {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::microseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

}  // namespace

std::string_view ModelStateName(ModelManager::State state) {
  switch (state) {
    case ModelManager::State::kEmpty:
      return "empty";
    case ModelManager::State::kLoading:
      return "loading";
    case ModelManager::State::kReady:
      return "ready";
    case ModelManager::State::kSwapping:
      return "swapping";
  }
  return "unknown";
}

ModelManager::ModelManager(ModelLoader& loader, ModelManagerOptions options, SwapObserver* observer)
    : loader_(loader), options_(options), observer_(observer) {}

ModelManager::~ModelManager() {
  std::shared_ptr<const ServedModel> last;
  {
    const std::lock_guard<std::mutex> lock(current_mu_);
    last.swap(current_);
  }
  last.reset();
  reaper_.Drain();
}

std::shared_ptr<const ServedModel> ModelManager::Current() const {
  const std::lock_guard<std::mutex> lock(current_mu_);
  return current_;
}

Result<SwapReport> ModelManager::Replace(std::string_view ref) {
  const std::lock_guard<std::mutex> lock(replace_mu_);
  Result<SwapReport> report = ReplaceLocked(ref);
  if (observer_ != nullptr) {
    if (report.ok()) {
      observer_->OnSwapped(*Current());
    } else {
      observer_->OnSwapFailed(ref, report.status());
    }
  }
  return report;
}

Result<SwapReport> ModelManager::ReplaceLocked(std::string_view ref) {
  const State before = state_.load(std::memory_order_relaxed);
  const bool had_model = before == State::kReady;
  state_.store(had_model ? State::kSwapping : State::kLoading, std::memory_order_release);
  // Whatever happens below, leave the state as it was before.
  struct Restore {
    std::atomic<State>& state;
    State value;
    bool armed = true;
    ~Restore() {
      if (armed) {
        state.store(value, std::memory_order_release);
      }
    }
  } restore{state_, had_model ? State::kReady : State::kEmpty};

  // Loading, checking and warming leave megabytes of freed parse buffers and
  // backend set-up in this thread's malloc arena; give them back on the way
  // out, whatever the outcome.
  struct TrimOnExit {
    ~TrimOnExit() { TrimFreedMemory(); }
  } trim;

  SwapReport report;
  std::shared_ptr<const ServedModel> old = Current();
  if (old != nullptr) {
    report.old_model = old->identity();
  }

  Clock::time_point start = Clock::now();
  Result<std::unique_ptr<ServedModel>> loaded = loader_.Load(ref);
  report.load_time = Since(start);
  if (!loaded.ok()) {
    return loaded.status().WithContext("load");
  }
  // From here on the candidate is destroyed on the reaper thread too.
  std::shared_ptr<const ServedModel> next = reaper_.Adopt(std::move(*loaded));
  report.new_model = next->identity();

  start = Clock::now();
  Status checked = next->Check();
  report.check_time = Since(start);
  if (!checked.ok()) {
    return checked.WithContext("check");
  }
  start = Clock::now();
  Status warmed = next->Warm(options_.warm_predictions);
  report.warm_time = Since(start);
  if (!warmed.ok()) {
    return warmed.WithContext("warm-up");
  }

  {
    const std::lock_guard<std::mutex> lock(current_mu_);
    current_.swap(next);  // `next` now holds the old model, released below
  }
  restore.armed = false;
  state_.store(State::kReady, std::memory_order_release);
  return report;
}

}  // namespace conveyor::serving
