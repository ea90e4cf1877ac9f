#include "serving/alias_follower.h"

#include <fmt/format.h>

#include <utility>

namespace conveyor::serving {

AliasFollower::AliasFollower(ModelManager& manager, std::string model, std::string alias,
                             ReadAlias read, AliasFollowerOptions options, Note note)
    : manager_(manager),
      model_(std::move(model)),
      alias_(std::move(alias)),
      read_(std::move(read)),
      options_(options),
      note_(std::move(note)) {}

void AliasFollower::Report(const std::string& problem) {
  if (problem == last_problem_)
    return;
  last_problem_ = problem;
  note_(problem);
}

bool AliasFollower::Poll(Clock::time_point now) {
  const bool nudged = nudge_ && nudge_();
  if (!nudged && last_check_.has_value() && now - *last_check_ < options_.interval)
    return false;
  last_check_ = now;

  std::shared_ptr<const ServedModel> current = manager_.Current();
  const int served = current != nullptr ? current->identity().version : 0;
  Result<int> named = read_();
  if (!named.ok()) {
    if (named.status().code() == Code::kNotFound) {
      Report(fmt::format("{} is not set any more; still serving v{}", Describe(), served));
    } else {
      Report(fmt::format("cannot read {} (still serving v{}, checking again every {} ms): {}",
                         Describe(), served, options_.interval.count(), named.status().message()));
    }
    return false;
  }
  if (!last_problem_.empty()) {
    note_(fmt::format("{} names v{} again", Describe(), *named));
    last_problem_.clear();
  }
  if (*named == served)
    return false;
  if (*named == failed_version_ && now < retry_at_)
    return false;

  note_(fmt::format("{} moved to v{} (serving v{}): swapping", Describe(), *named, served));
  Result<SwapReport> swapped = manager_.Replace(fmt::format("{}@{}", model_, *named));
  if (!swapped.ok()) {
    failed_version_ = *named;
    retry_at_ = now + options_.retry_after;
    note_(
        fmt::format("swap of {} to v{} failed, still serving v{}; retrying in {} s unless it "
                    "moves again: {}",
                    Describe(), *named, served, options_.retry_after.count() / 1000,
                    swapped.status().message()));
    return false;
  }
  failed_version_ = 0;
  const SwapReport& report = *swapped;
  note_(fmt::format(
      "{}: now serving {} (was {}; load, check and warm-up {:.3f} s)", Describe(),
      report.new_model.ToString(),
      report.old_model.name.empty() ? "nothing" : report.old_model.ToString(),
      static_cast<double>((report.load_time + report.check_time + report.warm_time).count()) /
          1e6));
  return true;
}

}  // namespace conveyor::serving
