#include "pipeline/checkout.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

#include "common/file_util.h"
#include "pipeline/lock_file.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

bool Wanted(const std::vector<std::string>& targets, const RecordedOutput& entry,
            const std::string& stage_name) {
  if (targets.empty())
    return true;
  return std::any_of(targets.begin(), targets.end(), [&](const std::string& target) {
    return target == entry.owner || target == stage_name || PathWithin(entry.path, target);
  });
}

}  // namespace

Result<std::vector<RecordedOutput>> RecordedOutputs(const Project& project,
                                                    const Workspace& workspace,
                                                    const std::vector<std::string>& targets) {
  std::vector<RecordedOutput> recorded;
  std::map<std::string, LockFile> locks;
  for (const StageNode& node : workspace.dag().nodes()) {
    std::string lock_path = Workspace::LockPathFor(node.dvcfile);
    auto it = locks.find(lock_path);
    if (it == locks.end()) {
      ASSIGN_OR_RETURN(LockFile lock, ReadLockFile(project.root() / lock_path));
      it = locks.emplace(lock_path, std::move(lock)).first;
    }
    const LockedStage* locked = it->second.Find(node.stage.name);
    if (locked == nullptr)
      continue;
    for (size_t i = 0; i < node.stage.outs.size(); ++i) {
      if (!node.stage.outs[i].cache)
        continue;
      for (const LockEntry& entry : locked->outs) {
        if (entry.path != node.stage.outs[i].path || entry.hash.md5.empty())
          continue;
        RecordedOutput item{node.out_paths[i], node.Address(), entry.hash};
        if (Wanted(targets, item, node.stage.name))
          recorded.push_back(std::move(item));
      }
    }
  }
  for (const TrackedFile& tracked : workspace.tracked()) {
    for (const DvcOut& out : tracked.content.outs) {
      if (!out.cache || out.hash.md5.empty())
        continue;
      ASSIGN_OR_RETURN(std::string path, JoinProjectPath(ParentDir(tracked.dvcfile), out.path));
      RecordedOutput item{path, tracked.dvcfile, out.hash};
      if (Wanted(targets, item, ""))
        recorded.push_back(std::move(item));
    }
  }
  return recorded;
}

namespace {

// Whether replacing the directory at `absolute` (hashed as `current`, not
// in the cache as a whole) loses nothing: each of its files is in the cache
// or is a temporary file a killed write left behind. A checkout or pull
// killed half-way leaves exactly that (the files it placed, from the cache,
// and up to one temporary per thread), and its rerun must finish the job.
Result<bool> EveryFileCached(const ObjectStore& store, Hasher& hasher, const fs::path& absolute,
                             const HashedObject& current) {
  if (!current.hash.IsDir())
    return false;
  ASSIGN_OR_RETURN(HashedObject full, hasher.Hash(absolute, true));
  if (!full.tree.has_value())
    return false;
  for (const TreeEntry& file : full.tree->entries) {
    if (!store.Find(file.md5).has_value() &&
        !IsTempName(fs::path(file.relpath).filename().string()))
      return false;
  }
  return true;
}

}  // namespace

Result<CheckoutReport> CheckoutWorkspace(ProjectCache& cache, const Workspace& workspace,
                                         Hasher& hasher, const CheckoutOptions& options) {
  const Project& project = cache.project();
  ASSIGN_OR_RETURN(std::vector<RecordedOutput> recorded,
                   RecordedOutputs(project, workspace, options.targets));
  CheckoutReport report;
  struct Pending {
    const RecordedOutput* entry;
    bool existed;
  };
  std::vector<Pending> pending;
  // First decide everything, so a refusal leaves the workspace untouched.
  for (const RecordedOutput& entry : recorded) {
    if (options.placed.contains(entry.path)) {
      report.added.push_back(entry.path);
      continue;
    }
    fs::path absolute = project.root() / entry.path;
    std::error_code ec;
    bool exists = fs::exists(absolute, ec);
    if (exists) {
      ASSIGN_OR_RETURN(HashedObject current, hasher.Hash(absolute, false));
      if (current.hash.md5 == entry.hash.md5)
        continue;
      if (!options.force && !cache.store().Contains(current.hash)) {
        ASSIGN_OR_RETURN(bool cached, EveryFileCached(cache.store(), hasher, absolute, current));
        if (!cached) {
          return Error(Code::kInvalid,
                       "'{}' has changes that are not in the cache; checking it out would lose "
                       "them (use --force to discard them, or 'conveyor add'/'repro' to keep "
                       "them)",
                       entry.path);
        }
      }
    }
    if (!cache.store().Contains(entry.hash)) {
      report.missing.push_back(entry.path);
      continue;
    }
    pending.push_back({&entry, exists});
  }
  for (const Pending& item : pending) {
    fs::path absolute = project.root() / item.entry->path;
    RETURN_IF_ERROR(cache.store().Checkout(absolute, item.entry->hash, cache.link_types()));
    (item.existed ? report.modified : report.added).push_back(item.entry->path);
  }
  return report;
}

}  // namespace conveyor
