#include "experiments/experiment_builder.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <set>

#include "common/file_util.h"
#include "common/nearest.h"
#include "pipeline/lock_file.h"
#include "pipeline/params_file.h"
#include "registry/store_rules.h"
#include "report/metrics_table.h"
#include "scm/git_repo.h"

namespace conveyor {

namespace {

using Json = nlohmann::ordered_json;

// The project-relative path of `path` written relative to `wdir`.
std::string InProject(const std::string& wdir, const std::string& path) {
  auto joined = JoinProjectPath(wdir, path);
  return joined.ok() ? *joined : path;
}

LineageEntry ToLineage(const std::string& stage, const char* role, const std::string& path,
                       const HashInfo& hash) {
  LineageEntry entry;
  entry.stage = stage;
  entry.role = role;
  entry.path = path;
  entry.md5 = hash.md5;
  entry.size = hash.md5.empty() ? -1 : static_cast<int64_t>(hash.size);
  entry.nfiles = hash.nfiles ? static_cast<int64_t>(*hash.nfiles) : -1;
  return entry;
}

// Lineage and params from every stage's dvc.lock entry, in DAG order.
Status ReadLocks(const Project& project, const Workspace& workspace, ExperimentRecord& record) {
  std::map<std::string, LockFile> locks;
  for (size_t index : workspace.dag().order()) {
    const StageNode& node = workspace.dag().node(index);
    std::string lock_path = Workspace::LockPathFor(node.dvcfile);
    auto found = locks.find(lock_path);
    if (found == locks.end()) {
      LockFile lock;
      if (PathExists(project.root() / lock_path)) {
        ASSIGN_OR_RETURN(lock, ReadLockFile(project.root() / lock_path));
      }
      found = locks.emplace(lock_path, std::move(lock)).first;
    }
    const LockedStage* locked = found->second.Find(node.stage.name);
    if (locked == nullptr)
      continue;  // never ran
    std::string address = node.Address();
    for (const LockEntry& dep : locked->deps)
      record.lineage.push_back(ToLineage(address, "dep", InProject(node.wdir, dep.path), dep.hash));
    for (const LockEntry& out : locked->outs)
      record.lineage.push_back(ToLineage(address, "out", InProject(node.wdir, out.path), out.hash));
    for (const LockedParams& params : locked->params) {
      Json& file = record.params[InProject(node.wdir, params.file)];
      if (file.is_null())
        file = Json::object();
      Json flat = FlattenParams(params.values);  // outlives the loop over its items
      for (const auto& [key, value] : flat.items())
        file[key] = value;
    }
  }
  return OkStatus();
}

Result<NewModelVersion> DeclaredVersion(const DeclaredModel& model,
                                        const std::vector<LineageEntry>& lineage) {
  std::vector<std::string> outputs;
  for (const LineageEntry& entry : lineage) {
    if (entry.role != "out")
      continue;
    if (entry.path == model.path) {
      NewModelVersion version;
      version.model = model.name;
      version.path = model.path;
      version.md5 = entry.md5;
      version.description = model.description;
      version.spec_path = !model.spec.empty()           ? model.spec
                          : entry.md5.ends_with(".dir") ? model.path + "/model.yaml"
                                                        : "";
      return version;
    }
    outputs.push_back(entry.path);
  }
  return Error(Code::kInvalid, "{}: model '{}': '{}' is not an output of any stage that has run{}",
               model.where.ToString(), model.name, model.path, DidYouMean(model.path, outputs));
}

}  // namespace

std::string CurrentActor() {
  for (const char* name : {"CONVEYOR_USER", "USER"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0')
      return value;
  }
  if (const passwd* entry = getpwuid(geteuid()); entry != nullptr)
    return entry->pw_name;
  return "unknown";
}

Result<GitContext> ReadGitContext(const Project& project) {
  GitContext context;
  if (!project.UsesGit())
    return context;
  auto repo = GitRepo::Open(project.root());
  if (!repo.ok()) {
    if (repo.status().code() == Code::kNotFound)
      return context;
    return repo.status();
  }
  auto head = (*repo)->Head();
  if (!head.ok()) {
    if (head.status().code() == Code::kNotFound)
      return context;  // no commit yet
    return head.status();
  }
  context.present = true;
  context.commit = head->commit;
  context.branch = head->branch;
  context.author = head->author;
  ASSIGN_OR_RETURN(context.short_id, (*repo)->ShortId(head->commit));
  std::string subdir =
      std::filesystem::relative(project.root(), (*repo)->workdir()).generic_string();
  if (subdir == ".")
    subdir.clear();
  ASSIGN_OR_RETURN(context.dirty, (*repo)->IsDirty(subdir));
  return context;
}

Result<ExperimentDraft> BuildExperiment(const Project& project, const Workspace& workspace,
                                        const ConveyorConfig& config, const GitContext& git,
                                        const RunInfo& run) {
  ExperimentDraft draft;
  ExperimentRecord& record = draft.record;
  record.named = !run.name.empty();
  record.tag = record.named ? run.name : git.present ? git.short_id : "workspace";
  record.commit = git.commit;
  record.branch = git.branch;
  record.author = git.author;
  record.dirty = git.dirty;
  record.status = run.outcome.ok() ? ExperimentStatus::kSucceeded : ExperimentStatus::kFailed;
  record.started_at_ms = run.started_at_ms;
  record.finished_at_ms = run.finished_at_ms;
  record.message = run.outcome.message();
  RETURN_IF_ERROR(ReadLocks(project, workspace, record));
  for (const MetricsFile& file : CollectMetrics(project, workspace)) {
    if (file.error.empty())
      record.metrics[file.path] = file.values;
  }
  if (run.outcome.ok()) {
    for (const DeclaredModel& model : config.models) {
      ASSIGN_OR_RETURN(NewModelVersion version, DeclaredVersion(model, record.lineage));
      draft.models.push_back(std::move(version));
    }
  }
  return draft;
}

Result<std::pair<ExperimentRecord, std::vector<ModelVersion>>> RecordExperiment(
    RegistryStore& store, ExperimentDraft draft, const std::string& actor) {
  std::vector<NewModelVersion> fresh;
  for (NewModelVersion& model : draft.models) {
    model.created_by = actor;
    auto versions = store.ListModelVersions(model.model);
    if (versions.ok() && !versions->empty() && versions->front().md5 == model.md5)
      continue;
    if (!versions.ok() && versions.status().code() != Code::kNotFound)
      return versions.status();
    fresh.push_back(std::move(model));
  }
  return store.AddExperiment(std::move(draft.record), fresh);
}

}  // namespace conveyor
