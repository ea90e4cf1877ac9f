#include "pipeline/stage_diff.h"

#include <fmt/core.h>

#include <map>

namespace conveyor {

std::string_view Change::Label() const {
  switch (kind) {
    case ChangeKind::kNeverRan:
      return "never ran";
    case ChangeKind::kCommand:
      return "changed command";
    case ChangeKind::kAlwaysChanged:
      return "always changed";
    case ChangeKind::kDepModified:
    case ChangeKind::kParamModified:
    case ChangeKind::kOutModified:
      return "modified";
    case ChangeKind::kDepDeleted:
    case ChangeKind::kParamDeleted:
    case ChangeKind::kOutDeleted:
      return "deleted";
    case ChangeKind::kDepNew:
    case ChangeKind::kParamNew:
    case ChangeKind::kOutNew:
      return "new";
    case ChangeKind::kOutNotInCache:
      return "not in cache";
  }
  return "changed";
}

namespace {

const LockEntry* FindEntry(const std::vector<LockEntry>& entries, const std::string& path) {
  for (const LockEntry& entry : entries) {
    if (entry.path == path)
      return &entry;
  }
  return nullptr;
}

// Whether the file on disk still matches a lock entry. DVC 2 entries (no
// `hash: md5`) are compared with the DVC 2 digest, which the observer computes
// for exactly those entries.
bool Matches(const LockEntry& entry, const ObservedPath& now) {
  if (!now.hash)
    return false;
  if (!entry.has_hash_field && now.legacy_md5)
    return *now.legacy_md5 == entry.hash.md5;
  return now.hash->md5 == entry.hash.md5;
}

std::string Short(const nlohmann::ordered_json& value) {
  std::string text = value.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

const nlohmann::ordered_json* FindParams(const std::vector<LockedParams>& params,
                                         const std::string& file) {
  for (const LockedParams& entry : params) {
    if (entry.file == file)
      return &entry.values;
  }
  return nullptr;
}

void DiffParams(const std::vector<LockedParams>& locked, const std::vector<LockedParams>& now,
                std::vector<Change>& changes) {
  static const nlohmann::ordered_json kNone = nlohmann::ordered_json::object();
  for (const LockedParams& current : now) {
    const nlohmann::ordered_json* found = FindParams(locked, current.file);
    const nlohmann::ordered_json& before = found != nullptr ? *found : kNone;
    for (const auto& [key, value] : current.values.items()) {
      std::string subject = fmt::format("{}:{}", current.file, key);
      if (!before.contains(key)) {
        changes.push_back({ChangeKind::kParamNew, subject, Short(value)});
      } else if (before.at(key) != value) {
        changes.push_back({ChangeKind::kParamModified, subject,
                           fmt::format("{} -> {}", Short(before.at(key)), Short(value))});
      }
    }
    for (const auto& [key, value] : before.items()) {
      if (!current.values.contains(key)) {
        changes.push_back({ChangeKind::kParamDeleted, fmt::format("{}:{}", current.file, key), ""});
      }
    }
  }
  for (const LockedParams& old : locked) {
    if (FindParams(now, old.file) != nullptr)
      continue;
    for (const auto& [key, value] : old.values.items()) {
      changes.push_back({ChangeKind::kParamDeleted, fmt::format("{}:{}", old.file, key), ""});
    }
  }
}

}  // namespace

std::vector<Change> DiffStage(const Stage& stage, const LockedStage* locked,
                              const Observation& now) {
  std::vector<Change> changes;
  if (locked == nullptr) {
    changes.push_back({ChangeKind::kNeverRan, stage.name, ""});
    return changes;
  }
  if (locked->cmd != stage.cmd)
    changes.push_back({ChangeKind::kCommand, stage.name, ""});

  if (!stage.frozen) {
    if (stage.always_changed || (stage.deps.empty() && stage.outs.empty())) {
      changes.push_back({ChangeKind::kAlwaysChanged, stage.name, ""});
    }
    for (const ObservedPath& dep : now.deps) {
      const LockEntry* entry = FindEntry(locked->deps, dep.path);
      if (entry == nullptr) {
        changes.push_back({ChangeKind::kDepNew, dep.path, ""});
      } else if (!dep.hash) {
        changes.push_back({ChangeKind::kDepDeleted, dep.path, ""});
      } else if (!Matches(*entry, dep)) {
        changes.push_back({ChangeKind::kDepModified, dep.path, ""});
      }
    }
    DiffParams(locked->params, now.params, changes);
  }

  for (size_t i = 0; i < now.outs.size(); ++i) {
    const ObservedPath& out = now.outs[i];
    const LockEntry* entry = FindEntry(locked->outs, out.path);
    if (entry == nullptr) {
      changes.push_back({ChangeKind::kOutNew, out.path, ""});
    } else if (!out.hash) {
      changes.push_back({ChangeKind::kOutDeleted, out.path, ""});
    } else if (!Matches(*entry, out)) {
      changes.push_back({ChangeKind::kOutModified, out.path, ""});
    } else if (i < stage.outs.size() && stage.outs[i].cache && !out.in_cache) {
      changes.push_back({ChangeKind::kOutNotInCache, out.path, ""});
    }
  }
  return changes;
}

}  // namespace conveyor
