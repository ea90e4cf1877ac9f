// `conveyor status`: which stages changed since dvc.lock was written, and why,
// and which data tracked by .dvc files changed since it was added.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/cloud_outputs.h"
#include "cli/commands.h"
#include "cli/pipeline_commands.h"
#include "cli/transfer_commands.h"
#include "common/subprocess.h"
#include "pipeline/gc.h"
#include "pipeline/project_cache.h"
#include "pipeline/repro.h"
#include "pipeline/tracked_status.h"
#include "remote/transfer.h"

namespace conveyor::cli {

namespace {

// Which block of DVC's status layout a change belongs to.
std::string_view Group(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kNeverRan:
    case ChangeKind::kCommand:
    case ChangeKind::kAlwaysChanged:
      return "";
    case ChangeKind::kDepModified:
    case ChangeKind::kDepDeleted:
    case ChangeKind::kDepNew:
    case ChangeKind::kParamModified:
    case ChangeKind::kParamDeleted:
    case ChangeKind::kParamNew:
      return "deps";
    case ChangeKind::kOutModified:
    case ChangeKind::kOutDeleted:
    case ChangeKind::kOutNew:
    case ChangeKind::kOutNotInCache:
      return "outs";
  }
  return "";
}

std::string FormatText(const std::vector<StageReport>& reports) {
  std::string text;
  for (const StageReport& report : reports) {
    if (report.changes.empty())
      continue;
    text += report.stage + ":\n";
    std::string_view open_group;
    for (const Change& change : report.changes) {
      std::string_view group = Group(change.kind);
      if (group.empty()) {
        text += fmt::format("\t{}\n", change.Label());
        open_group = "";
        continue;
      }
      if (group != open_group) {
        text += fmt::format("\tchanged {}:\n", group);
        open_group = group;
      }
      std::string label = fmt::format("{}:", change.Label());
      text += fmt::format("\t\t{:<20}{}", label, change.subject);
      if (!change.detail.empty())
        text += " (" + change.detail + ")";
      text += "\n";
    }
  }
  return text;
}

nlohmann::ordered_json FormatJson(const std::vector<StageReport>& reports) {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  for (const StageReport& report : reports) {
    if (report.changes.empty())
      continue;
    nlohmann::ordered_json changes = nlohmann::ordered_json::array();
    for (const Change& change : report.changes) {
      nlohmann::ordered_json item;
      std::string_view group = Group(change.kind);
      item["group"] = group.empty() ? "stage" : std::string(group);
      item["change"] = change.Label();
      item["subject"] = change.subject;
      if (!change.detail.empty())
        item["detail"] = change.detail;
      changes.push_back(std::move(item));
    }
    json[report.stage] = std::move(changes);
  }
  return json;
}

class StatusCommand : public Command {
 public:
  std::string_view Name() const override { return "status"; }
  std::string_view Summary() const override {
    return "Show which stages changed since their last run, and what changed";
  }
  void Configure(CLI::App& app) override {
    app.add_option("targets", targets_,
                   "Stages to check, with their upstream, or .dvc files (default: all)");
    app.add_flag("--json", json_,
                 "Print a JSON object: stage -> list of changes (with --cloud: outputs by path)");
    app.add_flag("-c,--cloud", cloud_, "Compare the cache with a remote instead");
    app.add_option("-r,--remote", remote_, "Remote for --cloud (default: core.remote)");
    app.footer(
        "Examples:\n"
        "  conveyor status                 what would 'conveyor repro' run, and why\n"
        "  conveyor status train --json    the same for 'train', for scripts\n"
        "  conveyor status --cloud         what push or fetch would move");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(std::unique_ptr<LoadedPipeline> loaded, LoadPipeline(global, Access::kRead));
    if (cloud_)
      return RunCloud(*loaded, console);
    std::vector<std::string> stage_targets = targets_;
    const std::vector<std::string> dvcfiles = TakeTrackedTargets(loaded->workspace, stage_targets);
    const bool only_tracked = !targets_.empty() && stage_targets.empty();
    std::vector<StageReport> reports;
    if (!only_tracked) {
      ShellRunner runner;  // status never runs commands
      NullListener listener;
      Repro repro(loaded->project, loaded->workspace, runner, listener);
      ASSIGN_OR_RETURN(reports, repro.Inspect(stage_targets));
    }
    if (targets_.empty() || !dvcfiles.empty()) {
      ASSIGN_OR_RETURN(std::unique_ptr<ProjectCache> cache, ProjectCache::Open(loaded->project));
      ASSIGN_OR_RETURN(std::unique_ptr<ProjectHasher> hasher, cache->NewHasher());
      ASSIGN_OR_RETURN(std::vector<StageReport> tracked,
                       InspectTracked(loaded->project, loaded->workspace, cache->store(),
                                      hasher->get(), dvcfiles));
      std::move(tracked.begin(), tracked.end(), std::back_inserter(reports));
    }
    if (json_) {
      console.Out(FormatJson(reports).dump(2));
      return OkStatus();
    }
    std::string text = FormatText(reports);
    console.Out(text.empty() ? "Data and pipelines are up to date." : text);
    return OkStatus();
  }

 private:
  // Which outputs the workspace tracks are only in the cache ("new"), only
  // on the remote ("deleted"), or at neither end ("missing"), by path as
  // DVC's `status -c` prints them; a directory says how many of its files.
  Status RunCloud(const LoadedPipeline& loaded, Console& console) {
    ASSIGN_OR_RETURN(std::unique_ptr<RemoteStorage> remote,
                     OpenTransferRemote(loaded.project, remote_));
    ASSIGN_OR_RETURN(std::set<std::string> objects,
                     WorkspaceObjects(loaded.project, loaded.workspace, targets_, true));
    ObjectStore store(loaded.project.cache_dir());
    ASSIGN_OR_RETURN(CloudStatus status, CompareWithRemote(store, *remote, objects));
    ASSIGN_OR_RETURN(std::vector<TrackedOutput> outputs,
                     TrackedOutputs(loaded.project, loaded.workspace, objects));
    std::vector<OutputCloudStatus> classified = ClassifyOutputs(outputs, status, store);
    if (json_) {
      nlohmann::ordered_json json;
      json["remote"] = remote->Describe();
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const OutputCloudStatus& item : classified) {
        nlohmann::ordered_json entry;
        entry["path"] = item.output.path;
        entry["md5"] = item.output.md5;
        entry["status"] = CloudStateName(item.state);
        if (item.files != 0) {
          entry["files"] = {{"total", item.files},
                            {"new", item.files_new},
                            {"deleted", item.files_deleted},
                            {"missing", item.files_missing}};
        }
        list.push_back(std::move(entry));
      }
      json["outputs"] = std::move(list);
      // Objects (md5s, directories' files included).
      json["in_sync"] = status.in_sync.size();
      json["not_on_remote"] = status.not_on_remote;
      json["not_in_cache"] = status.not_in_cache;
      json["missing"] = status.missing;
      console.Out(json.dump(2));
      return OkStatus();
    }
    if (status.not_on_remote.empty() && status.not_in_cache.empty() && status.missing.empty()) {
      console.Out(fmt::format("Cache and remote {} are in sync ({} objects).", remote->Describe(),
                              status.in_sync.size()));
      return OkStatus();
    }
    std::string text = fmt::format("Compared with {}:\n", remote->Describe());
    size_t counts[4] = {0, 0, 0, 0};
    for (const OutputCloudStatus& item : classified) {
      ++counts[static_cast<int>(item.state)];
      if (item.state == CloudState::kInSync)
        continue;
      std::string label = fmt::format("{}:", CloudStateName(item.state));
      text += fmt::format("\t{:<12}{}{}\n", label, item.output.path, FileCounts(item));
    }
    text += fmt::format("{} to push, {} to fetch, {} missing, {} in sync",
                        counts[static_cast<int>(CloudState::kNew)],
                        counts[static_cast<int>(CloudState::kDeleted)],
                        counts[static_cast<int>(CloudState::kMissing)],
                        counts[static_cast<int>(CloudState::kInSync)]);
    console.Out(text);
    return OkStatus();
  }

  // " (3 of 12 files not on the remote)" for a directory partly in the
  // state; "" when all of its files are, or for a file.
  static std::string FileCounts(const OutputCloudStatus& item) {
    size_t count = 0;
    std::string_view what;
    switch (item.state) {
      case CloudState::kNew:
        count = item.files_new;
        what = "not on the remote";
        break;
      case CloudState::kDeleted:
        count = item.files_deleted;
        what = "not in the cache";
        break;
      case CloudState::kMissing:
        count = item.files_missing;
        what = "at neither end";
        break;
      case CloudState::kInSync:
        return "";
    }
    if (item.files == 0 || count == 0 || count == item.files)
      return "";
    return fmt::format(" ({} of {} files {})", count, item.files, what);
  }

  class NullListener : public ReproListener {
   public:
    void StageSkipped(const StageNode&, std::string_view) override {}
    void StageStarting(const StageNode&, const std::vector<Change>&) override {}
    void CommandStarting(const StageNode&, std::string_view) override {}
    void StageRestored(const StageNode&) override {}
    void StageFinished(const StageNode&, StageResult, const Status&) override {}
    void LockWritten(std::string_view) override {}
  };

  std::vector<std::string> targets_;
  bool json_ = false;
  bool cloud_ = false;
  std::string remote_;
};

}  // namespace

std::unique_ptr<Command> MakeStatusCommand() { return std::make_unique<StatusCommand>(); }

}  // namespace conveyor::cli
