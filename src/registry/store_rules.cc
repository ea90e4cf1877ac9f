#include "registry/store_rules.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

namespace conveyor {

namespace {

// "<base>.<n>" -> n for n >= 2 written without leading zeros; 0 otherwise.
int64_t TagSuffix(std::string_view tag, std::string_view base) {
  if (tag.size() <= base.size() + 1)
    return 0;
  std::string_view digits = tag.substr(base.size() + 1);
  if (digits.size() > 9 || digits[0] == '0')
    return 0;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsCommitPrefix(std::string_view ref) {
  if (ref.size() < 4 || ref.size() > 40)
    return false;
  return std::all_of(ref.begin(), ref.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<std::string> PickTag(const ExperimentRecord& record,
                            const std::vector<std::pair<std::string, int64_t>>& taken,
                            std::string_view where) {
  const std::string& tag = record.tag;
  std::optional<int64_t> holder;
  std::set<int64_t> suffixes;
  for (const auto& [other, id] : taken) {
    if (other == tag)
      holder = id;
    else
      suffixes.insert(TagSuffix(other, tag));
  }
  if (!holder)
    return tag;
  if (record.named) {
    return Error(Code::kAlreadyExists, "{}: experiment name '{}' is already taken (experiment #{})",
                 where, tag, *holder);
  }
  int64_t n = 2;
  while (suffixes.count(n) != 0)
    ++n;
  return fmt::format("{}.{}", tag, n);
}

Status CheckAliasUnmoved(std::string_view where, std::string_view model, std::string_view alias,
                         int current, std::optional<int> expected) {
  if (!expected.has_value() || *expected == current)
    return OkStatus();
  auto describe = [](int version) {
    return version == 0 ? std::string("unset") : fmt::format("v{}", version);
  };
  return Error(Code::kConflict, "{}: {}@{} moved meanwhile: it is {} now, expected {}", where,
               model, alias, describe(current), describe(*expected));
}

}  // namespace conveyor
