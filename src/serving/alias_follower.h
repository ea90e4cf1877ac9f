// Keeps a replica on the version an alias names: a server started with
// `--model digits@production` checks the registry every few seconds and,
// when `production` has moved, loads, checks, warms and swaps in the version
// it now names through the ModelManager — the same zero-downtime path as
// /replace_ml_model — so every replica sharing the registry follows a
// promotion by itself.
//
// The follower asks for the new version by number (`digits@4`), not by
// alias, so that a second move during the load cannot make it serve a
// version other than the one it reports. A failed swap leaves the old model
// serving; the same version is not tried again before `retry_after`, unless
// the alias moves once more. An alias that is removed, or a registry that
// cannot be read, keeps the current model; each distinct problem is
// reported once, not at every check.
//
// Thread safety: one thread calls Poll (serve's main loop). Replace may run
// concurrently on request threads (/replace_ml_model); the manager
// serialises them, and the follower compares against what is being served
// at each check, so a manual replace to another version is undone at the
// next check only if the alias still names another version.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "serving/model_manager.h"

namespace conveyor::serving {

struct AliasFollowerOptions {
  std::chrono::milliseconds interval{2000};      // between checks of the alias
  std::chrono::milliseconds retry_after{30000};  // before retrying a failed version
};

class AliasFollower {
 public:
  using Clock = std::chrono::steady_clock;
  // The version `model@alias` names now; kNotFound when the alias is unset.
  using ReadAlias = std::function<Result<int>()>;
  // Receives one line per event worth a log line.
  using Note = std::function<void(std::string_view)>;

  // `manager` must outlive the follower.
  AliasFollower(ModelManager& manager, std::string model, std::string alias, ReadAlias read,
                AliasFollowerOptions options, Note note);

  // A hint that the alias may have moved (AliasListener::Moved for a
  // PostgreSQL registry), asked at every Poll: when it says true the alias
  // is checked at once, whatever the interval. Set before polling.
  void SetNudge(std::function<bool()> nudge) { nudge_ = std::move(nudge); }

  // Checks the alias if `interval` has passed since the last check (the
  // first call always checks) or the nudge says so, and swaps when it names
  // another version than the one served. Returns true when it swapped.
  bool Poll(Clock::time_point now);

  // "digits@production".
  std::string Describe() const { return model_ + "@" + alias_; }

 private:
  // Reports `problem` unless it is the one reported last.
  void Report(const std::string& problem);

  ModelManager& manager_;
  const std::string model_;
  const std::string alias_;
  const ReadAlias read_;
  const AliasFollowerOptions options_;
  const Note note_;
  std::function<bool()> nudge_;

  std::optional<Clock::time_point> last_check_;
  std::string last_problem_;
  // The version whose swap failed, and when it may be tried again.
  int failed_version_ = 0;
  Clock::time_point retry_at_;
};

}  // namespace conveyor::serving
