#include "pipeline/stage_observer.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "cache/legacy_hash.h"
#include "common/file_util.h"
#include "pipeline/params_file.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

// A DVC 2 lock entry (no `hash: md5`) is compared by its DVC 2 digest.
bool NeedsLegacyDigest(const std::vector<LockEntry>* entries, const std::string& path) {
  if (entries == nullptr)
    return false;
  for (const LockEntry& entry : *entries) {
    if (entry.path == path)
      return !entry.has_hash_field;
  }
  return false;
}

}  // namespace

StageObserver::StageObserver(const Project& project, ProjectCache& cache)
    : project_(project), cache_(cache) {}

Result<Observation> StageObserver::Observe(const StageNode& node, const LockedStage* locked,
                                           ProjectHasher& hasher) {
  Observation now;
  const Stage& stage = node.stage;
  for (size_t i = 0; i < stage.deps.size(); ++i) {
    bool legacy = NeedsLegacyDigest(locked ? &locked->deps : nullptr, stage.deps[i]);
    ASSIGN_OR_RETURN(ObservedPath observed,
                     ObservePath(stage.deps[i], node.dep_paths[i], hasher, legacy));
    now.deps.push_back(std::move(observed));
  }
  ASSIGN_OR_RETURN(now.params, ReadParams(node));
  for (size_t i = 0; i < stage.outs.size(); ++i) {
    bool legacy = NeedsLegacyDigest(locked ? &locked->outs : nullptr, stage.outs[i].path);
    ASSIGN_OR_RETURN(ObservedPath observed,
                     ObservePath(stage.outs[i].path, node.out_paths[i], hasher, legacy));
    if (observed.hash && stage.outs[i].cache) {
      observed.in_cache = cache_.store().Contains(*observed.hash);
    }
    now.outs.push_back(std::move(observed));
  }
  return now;
}

Result<ObservedPath> StageObserver::ObservePath(const std::string& written,
                                                const std::string& relpath, ProjectHasher& hasher,
                                                bool legacy) {
  ObservedPath observed;
  observed.path = written;
  fs::path absolute = project_.root() / relpath;
  if (!PathExists(absolute))
    return observed;
  ASSIGN_OR_RETURN(HashedObject hashed, hasher.get().Hash(absolute, false));
  observed.hash = hashed.hash;
  if (legacy) {
    ASSIGN_OR_RETURN(observed.legacy_md5, LegacyMd5(absolute, &hasher.ignore(), relpath));
  }
  return observed;
}

// Current values of the stage's params, as dvc.lock records them: listed
// keys as written, or a whole file's top-level keys.
Result<std::vector<LockedParams>> StageObserver::ReadParams(const StageNode& node) {
  std::vector<LockedParams> result;
  for (const ParamSpec& spec : node.stage.params) {
    ASSIGN_OR_RETURN(std::string relpath, JoinProjectPath(node.wdir, spec.file));
    auto tree = LoadParamsFile(project_.root() / relpath, relpath);
    if (!tree.ok()) {
      return tree.status().WithContext(
          fmt::format("{}: stage '{}'", spec.where.ToString(), node.stage.name));
    }
    LockedParams params;
    params.file = spec.file;
    if (spec.whole_file) {
      params.values = *tree;
    } else {
      for (const std::string& key : spec.keys) {
        auto value = LookupParam(*tree, key, relpath);
        if (!value.ok()) {
          return value.status().WithContext(
              fmt::format("{}: stage '{}'", spec.where.ToString(), node.stage.name));
        }
        params.values[key] = *value;
      }
    }
    result.push_back(std::move(params));
  }
  return result;
}

// The lock entry of the stage's inputs as they are now: cmd, deps and
// params, no outs yet.
Result<LockedStage> StageObserver::LockInputs(const StageNode& node, ProjectHasher& hasher) {
  const Stage& stage = node.stage;
  LockedStage locked;
  locked.name = stage.name;
  locked.cmd = stage.cmd;
  locked.cmd_is_list = stage.cmd_is_list;
  for (size_t i = 0; i < stage.deps.size(); ++i) {
    fs::path absolute = project_.root() / node.dep_paths[i];
    if (!PathExists(absolute)) {
      return Error(Code::kNotFound, "stage '{}': dependency '{}' does not exist", node.Address(),
                   stage.deps[i]);
    }
    ASSIGN_OR_RETURN(HashedObject hashed, hasher.get().Hash(absolute, false));
    locked.deps.push_back({stage.deps[i], hashed.hash, true, IsExecutableFile(absolute)});
  }
  std::sort(locked.deps.begin(), locked.deps.end(),
            [](const LockEntry& a, const LockEntry& b) { return a.path < b.path; });
  ASSIGN_OR_RETURN(locked.params, ReadParams(node));
  return locked;
}

}  // namespace conveyor
