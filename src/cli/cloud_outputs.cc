// TrackedOutputs and ClassifyOutputs (cloud_outputs.h): the same walk over
// dvc.lock and .dvc files that WorkspaceObjects makes, keeping paths.
#include "cli/cloud_outputs.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "common/file_util.h"
#include "pipeline/dag.h"
#include "pipeline/lock_file.h"

namespace conveyor::cli {

namespace fs = std::filesystem;

namespace {

bool IsDirMd5(std::string_view md5) {
  return md5.size() > 4 && md5.substr(md5.size() - 4) == ".dir";
}

void Add(std::string_view base, std::string_view path, const std::string& md5,
         const std::set<std::string>& objects, std::vector<TrackedOutput>& out) {
  if (md5.empty() || objects.count(md5) == 0)
    return;
  Result<std::string> joined = JoinProjectPath(base, path);
  std::string name = joined.ok() ? *joined : std::string(path);
  if (IsDirMd5(md5) && (name.empty() || name.back() != '/'))
    name += '/';
  out.push_back({std::move(name), md5});
}

}  // namespace

Result<std::vector<TrackedOutput>> TrackedOutputs(const Project& project,
                                                  const Workspace& workspace,
                                                  const std::set<std::string>& objects) {
  std::vector<TrackedOutput> out;
  for (const PipelineFile& pipeline : workspace.pipelines()) {
    std::string lock_path = Workspace::LockPathFor(pipeline.path);
    std::error_code ec;
    if (!fs::exists(project.root() / lock_path, ec))
      continue;
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(project.root() / lock_path));
    ASSIGN_OR_RETURN(LockFile parsed, ParseLockFile(text, lock_path));
    for (const LockedStage& stage : parsed.stages) {
      std::string base = ParentDir(pipeline.path);
      for (const StageNode& node : workspace.dag().nodes()) {
        if (node.dvcfile == pipeline.path && node.stage.name == stage.name)
          base = node.wdir;
      }
      for (const LockEntry& entry : stage.outs)
        Add(base, entry.path, entry.hash.md5, objects, out);
    }
  }
  for (const TrackedFile& tracked : workspace.tracked()) {
    for (const DvcOut& entry : tracked.content.outs)
      Add(ParentDir(tracked.dvcfile), entry.path, entry.hash.md5, objects, out);
  }
  std::sort(out.begin(), out.end(),
            [](const TrackedOutput& a, const TrackedOutput& b) { return a.path < b.path; });
  return out;
}

std::vector<OutputCloudStatus> ClassifyOutputs(const std::vector<TrackedOutput>& outputs,
                                               const CloudStatus& status,
                                               const ObjectStore& store) {
  std::map<std::string, CloudState> where;
  for (const std::string& md5 : status.in_sync)
    where[md5] = CloudState::kInSync;
  for (const std::string& md5 : status.not_on_remote)
    where[md5] = CloudState::kNew;
  for (const std::string& md5 : status.not_in_cache)
    where[md5] = CloudState::kDeleted;
  for (const std::string& md5 : status.missing)
    where[md5] = CloudState::kMissing;
  auto state_of = [&](const std::string& md5) {
    auto it = where.find(md5);
    return it == where.end() ? CloudState::kMissing : it->second;
  };
  // Higher is worse.
  auto rank = [](CloudState state) {
    switch (state) {
      case CloudState::kInSync:
        return 0;
      case CloudState::kDeleted:
        return 1;
      case CloudState::kNew:
        return 2;
      case CloudState::kMissing:
        return 3;
    }
    return 0;
  };

  std::vector<OutputCloudStatus> result;
  result.reserve(outputs.size());
  for (const TrackedOutput& output : outputs) {
    OutputCloudStatus item{output, state_of(output.md5)};
    if (IsDirMd5(output.md5)) {
      Result<Tree> tree = store.LoadTree(output.md5);
      if (tree.ok()) {
        for (const TreeEntry& entry : tree->entries) {
          CloudState file = state_of(entry.md5);
          ++item.files;
          item.files_new += file == CloudState::kNew;
          item.files_deleted += file == CloudState::kDeleted;
          item.files_missing += file == CloudState::kMissing;
          if (rank(file) > rank(item.state))
            item.state = file;
        }
      }
    }
    result.push_back(std::move(item));
  }
  return result;
}

std::string_view CloudStateName(CloudState state) {
  switch (state) {
    case CloudState::kInSync:
      return "in sync";
    case CloudState::kNew:
      return "new";
    case CloudState::kDeleted:
      return "deleted";
    case CloudState::kMissing:
      return "missing";
  }
  return "";
}

}  // namespace conveyor::cli
