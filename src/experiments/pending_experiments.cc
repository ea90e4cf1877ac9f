#include "experiments/pending_experiments.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <utility>

#include "common/file_util.h"
#include "experiments/registry_sync.h"

namespace conveyor {

namespace fs = std::filesystem;

fs::path PendingExperimentsDir(const fs::path& project_root) {
  return project_root / ".conveyor" / "pending";
}

Result<fs::path> KeepPendingExperiment(const fs::path& dir, const ExperimentDraft& draft) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return Error(Code::kIo, "cannot create {}: {}", dir.string(), error.message());
  }
  // Tags are A-Z a-z 0-9 . _ - (ValidateExperimentTag; `-n` is checked
  // before the run), so the tag is safe in a file name.
  RETURN_IF_ERROR(ValidateExperimentTag(draft.record.tag));
  const fs::path file =
      dir / fmt::format("{:013d}-{}.json", draft.record.started_at_ms, draft.record.tag);
  const std::string text = ExperimentDraftJson(draft.record, draft.models).dump(2) + "\n";
  RETURN_IF_ERROR(AtomicWriteFile(file, text));
  return file;
}

Result<std::vector<fs::path>> ListPendingExperiments(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error == std::errc::no_such_file_or_directory) {
    return files;
  }
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.ends_with(".json") && !IsTempName(name)) {
      files.push_back(it->path());
    }
  }
  if (error) {
    return Error(Code::kIo, "cannot list {}: {}", dir.string(), error.message());
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::vector<RecordedPending>> RecordPendingExperiments(RegistryStore& store,
                                                              const fs::path& dir) {
  ASSIGN_OR_RETURN(std::vector<fs::path> files, ListPendingExperiments(dir));
  std::vector<RecordedPending> recorded;
  if (files.empty()) {
    return recorded;
  }
  std::set<std::string> known;
  ASSIGN_OR_RETURN(std::vector<ExperimentRecord> stored, store.ListExperiments({}));
  for (const ExperimentRecord& record : stored) {
    known.insert(ExperimentSyncId(record));
  }
  for (const fs::path& file : files) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(file));
    auto json = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      return Error(Code::kInvalid,
                   "{} is not valid JSON; move it away to go on (the run it describes is then "
                   "not recorded)",
                   file.string());
    }
    ASSIGN_OR_RETURN(auto parsed, ParseExperimentDraftJson(json, file.string()));
    RecordedPending entry{.file = file};
    if (known.count(ExperimentSyncId(parsed.first)) != 0) {
      entry.record = std::move(parsed.first);
      entry.already_recorded = true;
    } else {
      // Every model of a run was registered by the one who ran it.
      const std::string actor = parsed.second.empty() ? "" : parsed.second.front().created_by;
      ExperimentDraft draft{.record = std::move(parsed.first), .models = std::move(parsed.second)};
      ASSIGN_OR_RETURN(auto added, RecordExperiment(store, std::move(draft), actor));
      entry.record = std::move(added.first);
      entry.versions = std::move(added.second);
      known.insert(ExperimentSyncId(entry.record));
    }
    std::error_code error;
    fs::remove(file, error);
    if (error) {
      return Error(Code::kIo, "recorded experiment {}, but cannot remove {}: {}", entry.record.tag,
                   file.string(), error.message());
    }
    recorded.push_back(std::move(entry));
  }
  return recorded;
}

}  // namespace conveyor
