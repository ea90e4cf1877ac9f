#include "pipeline/tracked_status.h"

#include <algorithm>

#include "common/file_util.h"
#include "pipeline/dag.h"

namespace conveyor {

std::vector<std::string> TakeTrackedTargets(const Workspace& workspace,
                                            std::vector<std::string>& targets) {
  std::vector<std::string> taken;
  auto is_tracked = [&](const std::string& target) {
    return std::any_of(workspace.tracked().begin(), workspace.tracked().end(),
                       [&](const TrackedFile& tracked) { return tracked.dvcfile == target; });
  };
  for (const std::string& target : targets) {
    if (is_tracked(target))
      taken.push_back(target);
  }
  std::erase_if(targets, is_tracked);
  return taken;
}

Result<std::vector<StageReport>> InspectTracked(const Project& project, const Workspace& workspace,
                                                const ObjectStore& store, Hasher& hasher,
                                                const std::vector<std::string>& dvcfiles) {
  std::vector<StageReport> reports;
  for (const TrackedFile& tracked : workspace.tracked()) {
    if (!dvcfiles.empty() &&
        std::find(dvcfiles.begin(), dvcfiles.end(), tracked.dvcfile) == dvcfiles.end())
      continue;
    StageReport report{.stage = tracked.dvcfile};
    for (const DvcOut& out : tracked.content.outs) {
      if (out.hash.md5.empty() || !out.has_hash_field)
        continue;
      ASSIGN_OR_RETURN(std::string path, JoinProjectPath(ParentDir(tracked.dvcfile), out.path));
      const std::filesystem::path absolute = project.root() / path;
      if (!PathExists(absolute)) {
        report.changes.push_back({ChangeKind::kOutDeleted, out.path, ""});
        continue;
      }
      ASSIGN_OR_RETURN(HashedObject now, hasher.Hash(absolute, /*want_tree=*/false));
      if (now.hash.md5 != out.hash.md5) {
        report.changes.push_back({ChangeKind::kOutModified, out.path, ""});
      } else if (out.cache && !store.Contains(out.hash)) {
        report.changes.push_back({ChangeKind::kOutNotInCache, out.path, ""});
      }
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace conveyor
