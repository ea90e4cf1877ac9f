#include "experiments/registry_sync.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "common/md5.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr int kFormat = 1;
constexpr std::string_view kExperimentsDir = "experiments/";
constexpr std::string_view kVersionsDir = "versions/";
constexpr std::string_view kAliasesDir = "aliases/";
constexpr std::string_view kJsonSuffix = ".json";
// Downloads of records run this many at a time.
constexpr size_t kRecordJobs = 8;

std::string RecordKey(std::string_view dir, std::string_view name) {
  return fmt::format("{}{}{}{}", kRemoteRegistryPrefix, dir, name, kJsonSuffix);
}

// ---------------------------------------------------------------------------
// JSON forms. Field names and meanings are the remote format: add fields,
// never rename them.

Json LineageToJson(const LineageEntry& entry) {
  return Json{{"stage", entry.stage}, {"role", entry.role}, {"path", entry.path},
              {"md5", entry.md5},     {"size", entry.size}, {"nfiles", entry.nfiles}};
}

Json NewVersionToJson(const ModelVersion& version) {
  return Json{{"model", version.model},
              {"path", version.path},
              {"md5", version.md5},
              {"spec_path", version.spec_path},
              {"description", version.description},
              {"created_by", version.created_by},
              {"created_at_ms", version.created_at_ms}};
}

Json ExperimentFile(const ExperimentRecord& record, const std::vector<ModelVersion>& versions) {
  Json lineage = Json::array();
  for (const LineageEntry& entry : record.lineage) {
    lineage.push_back(LineageToJson(entry));
  }
  Json models = Json::array();
  for (const ModelVersion& version : versions) {
    models.push_back(NewVersionToJson(version));
  }
  return Json{{"format", kFormat},
              {"kind", "experiment"},
              {"tag", record.tag},
              {"named", record.named},
              {"commit", record.commit},
              {"branch", record.branch},
              {"author", record.author},
              {"dirty", record.dirty},
              {"status", ExperimentStatusName(record.status)},
              {"started_at_ms", record.started_at_ms},
              {"finished_at_ms", record.finished_at_ms},
              {"params", record.params},
              {"metrics", record.metrics},
              {"lineage", std::move(lineage)},
              {"message", record.message},
              {"models", std::move(models)}};
}

Json VersionFile(const ModelVersion& version) {
  Json file = NewVersionToJson(version);
  file["format"] = kFormat;
  file["kind"] = "version";
  return file;
}

// Reads fields of one record, naming the remote key and field on failure.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string key) : object_(object), key_(std::move(key)) {}

  template <typename T>
  Result<T> Get(std::string_view field) const {
    auto it = object_.find(field);
    if (it == object_.end()) {
      return Error(Code::kInvalid, "{}: field '{}' is missing", key_, field);
    }
    try {
      return it->template get<T>();
    } catch (const nlohmann::json::exception&) {
      return Error(Code::kInvalid, "{}: field '{}' has the wrong type ({})", key_, field,
                   it->type_name());
    }
  }

  // A JSON object field (params, metrics).
  Result<Json> Object(std::string_view field) const {
    auto it = object_.find(field);
    if (it == object_.end() || !it->is_object()) {
      return Error(Code::kInvalid, "{}: field '{}' must be an object", key_, field);
    }
    return *it;
  }

  Result<const Json*> Array(std::string_view field) const {
    auto it = object_.find(field);
    if (it == object_.end() || !it->is_array()) {
      return Error(Code::kInvalid, "{}: field '{}' must be an array", key_, field);
    }
    return &*it;
  }

  FieldReader Child(const Json& object, std::string_view where) const {
    return FieldReader(object, fmt::format("{} {}", key_, where));
  }

  Status CheckHeader(std::string_view kind) const {
    if (!object_.is_object()) {
      return Error(Code::kInvalid, "{}: not a JSON object", key_);
    }
    ASSIGN_OR_RETURN(int format, Get<int>("format"));
    if (format != kFormat) {
      return Error(Code::kInvalid,
                   "{}: record format {} is not one this build reads ({}); upgrade conveyor", key_,
                   format, kFormat);
    }
    ASSIGN_OR_RETURN(std::string actual, Get<std::string>("kind"));
    if (actual != kind) {
      return Error(Code::kInvalid, "{}: kind is '{}', expected '{}'", key_, actual, kind);
    }
    return OkStatus();
  }

  const std::string& key() const { return key_; }

 private:
  const Json& object_;
  std::string key_;
};

Result<NewModelVersion> ParseNewVersion(const FieldReader& in, int64_t* created_at_ms) {
  NewModelVersion version;
  ASSIGN_OR_RETURN(version.model, in.Get<std::string>("model"));
  ASSIGN_OR_RETURN(version.path, in.Get<std::string>("path"));
  ASSIGN_OR_RETURN(version.md5, in.Get<std::string>("md5"));
  ASSIGN_OR_RETURN(version.spec_path, in.Get<std::string>("spec_path"));
  ASSIGN_OR_RETURN(version.description, in.Get<std::string>("description"));
  ASSIGN_OR_RETURN(version.created_by, in.Get<std::string>("created_by"));
  ASSIGN_OR_RETURN(*created_at_ms, in.Get<int64_t>("created_at_ms"));
  RETURN_IF_ERROR(
      ValidateRegistryName("model name", version.model).WithContext(fmt::format("{}", in.key())));
  return version;
}

// An experiment or a hand-registered version, parsed, waiting to be added.
struct PendingRecord {
  int64_t at_ms = 0;  // where it sits in the timeline
  std::string key;
  std::optional<ExperimentRecord> experiment;  // else a version
  std::vector<NewModelVersion> models;         // the experiment's, or the one version
};

Result<PendingRecord> ParseExperimentFile(const Json& file, const std::string& key) {
  FieldReader in(file, key);
  RETURN_IF_ERROR(in.CheckHeader("experiment"));
  ExperimentRecord record;
  ASSIGN_OR_RETURN(record.tag, in.Get<std::string>("tag"));
  RETURN_IF_ERROR(ValidateExperimentTag(record.tag).WithContext(key));
  ASSIGN_OR_RETURN(record.commit, in.Get<std::string>("commit"));
  ASSIGN_OR_RETURN(record.branch, in.Get<std::string>("branch"));
  ASSIGN_OR_RETURN(record.author, in.Get<std::string>("author"));
  ASSIGN_OR_RETURN(record.dirty, in.Get<bool>("dirty"));
  ASSIGN_OR_RETURN(std::string status, in.Get<std::string>("status"));
  if (status == ExperimentStatusName(ExperimentStatus::kSucceeded)) {
    record.status = ExperimentStatus::kSucceeded;
  } else if (status == ExperimentStatusName(ExperimentStatus::kFailed)) {
    record.status = ExperimentStatus::kFailed;
  } else {
    return Error(Code::kInvalid, "{}: status '{}' is neither succeeded nor failed", key, status);
  }
  ASSIGN_OR_RETURN(record.started_at_ms, in.Get<int64_t>("started_at_ms"));
  ASSIGN_OR_RETURN(record.finished_at_ms, in.Get<int64_t>("finished_at_ms"));
  ASSIGN_OR_RETURN(record.params, in.Object("params"));
  ASSIGN_OR_RETURN(record.metrics, in.Object("metrics"));
  ASSIGN_OR_RETURN(record.message, in.Get<std::string>("message"));
  ASSIGN_OR_RETURN(const Json* lineage, in.Array("lineage"));
  for (size_t i = 0; i < lineage->size(); ++i) {
    FieldReader entry_in = in.Child((*lineage)[i], fmt::format("lineage[{}]", i));
    LineageEntry entry;
    ASSIGN_OR_RETURN(entry.stage, entry_in.Get<std::string>("stage"));
    ASSIGN_OR_RETURN(entry.role, entry_in.Get<std::string>("role"));
    ASSIGN_OR_RETURN(entry.path, entry_in.Get<std::string>("path"));
    ASSIGN_OR_RETURN(entry.md5, entry_in.Get<std::string>("md5"));
    ASSIGN_OR_RETURN(entry.size, entry_in.Get<int64_t>("size"));
    ASSIGN_OR_RETURN(entry.nfiles, entry_in.Get<int64_t>("nfiles"));
    record.lineage.push_back(std::move(entry));
  }
  PendingRecord pending{.at_ms = record.started_at_ms, .key = key};
  ASSIGN_OR_RETURN(const Json* models, in.Array("models"));
  for (size_t i = 0; i < models->size(); ++i) {
    int64_t created_at_ms = 0;
    ASSIGN_OR_RETURN(
        NewModelVersion version,
        ParseNewVersion(in.Child((*models)[i], fmt::format("models[{}]", i)), &created_at_ms));
    pending.models.push_back(std::move(version));
  }
  // The tag is kept when free; a name (`exp run -n`) taken by another
  // experiment here must not make the import fail, so it may get a suffix
  // like any tag.
  record.named = false;
  pending.experiment = std::move(record);
  return pending;
}

Result<PendingRecord> ParseVersionFile(const Json& file, const std::string& key) {
  FieldReader in(file, key);
  RETURN_IF_ERROR(in.CheckHeader("version"));
  PendingRecord pending{.key = key};
  ASSIGN_OR_RETURN(NewModelVersion version, ParseNewVersion(in, &pending.at_ms));
  pending.models.push_back(std::move(version));
  return pending;
}

// One alias of one model, as the remote's alias file records it.
struct AliasEntry {
  bool removed = false;
  std::string md5;         // the version's content (empty when removed)
  std::string experiment;  // the version's experiment sync id; empty if none
  int64_t at_ms = 0;       // when it was set or removed
  std::string actor;
  std::string reason;

  bool operator==(const AliasEntry&) const = default;
};
using AliasEntries = std::map<std::string, AliasEntry>;

Json AliasFile(std::string_view model, const AliasEntries& entries) {
  Json aliases = Json::object();
  for (const auto& [alias, entry] : entries) {
    Json out{{"at_ms", entry.at_ms}, {"actor", entry.actor}, {"reason", entry.reason}};
    if (entry.removed) {
      out["removed"] = true;
    } else {
      out["md5"] = entry.md5;
      out["experiment"] = entry.experiment.empty() ? Json(nullptr) : Json(entry.experiment);
    }
    aliases[alias] = std::move(out);
  }
  return Json{{"format", kFormat}, {"kind", "aliases"}, {"model", model}, {"aliases", aliases}};
}

Result<AliasEntries> ParseAliasFile(const Json& file, const std::string& key,
                                    std::string_view model) {
  FieldReader in(file, key);
  RETURN_IF_ERROR(in.CheckHeader("aliases"));
  ASSIGN_OR_RETURN(std::string named, in.Get<std::string>("model"));
  if (named != model) {
    return Error(Code::kInvalid, "{}: names model '{}', not '{}'", key, named, model);
  }
  ASSIGN_OR_RETURN(Json aliases, in.Object("aliases"));
  AliasEntries entries;
  for (const auto& [alias, value] : aliases.items()) {
    FieldReader entry_in = in.Child(value, fmt::format("alias '{}'", alias));
    RETURN_IF_ERROR(ValidateRegistryName("alias", alias).WithContext(key));
    AliasEntry entry;
    ASSIGN_OR_RETURN(entry.at_ms, entry_in.Get<int64_t>("at_ms"));
    ASSIGN_OR_RETURN(entry.actor, entry_in.Get<std::string>("actor"));
    ASSIGN_OR_RETURN(entry.reason, entry_in.Get<std::string>("reason"));
    if (value.is_object() && value.contains("removed")) {
      ASSIGN_OR_RETURN(entry.removed, entry_in.Get<bool>("removed"));
    }
    if (!entry.removed) {
      ASSIGN_OR_RETURN(entry.md5, entry_in.Get<std::string>("md5"));
      auto experiment = value.find("experiment");
      if (experiment != value.end() && experiment->is_string()) {
        entry.experiment = experiment->get<std::string>();
      }
    }
    entries.emplace(alias, std::move(entry));
  }
  return entries;
}

// ---------------------------------------------------------------------------
// Moving JSON records through files in the scratch directory.

class Scratch {
 public:
  explicit Scratch(fs::path dir) : dir_(std::move(dir)) {}
  ~Scratch() {
    if (created_) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  Status Create() {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) {
      return Error(Code::kIo, "cannot create {}: {}", dir_.string(), ec.message());
    }
    created_ = true;
    return OkStatus();
  }

  // A fresh file name for the n-th record.
  fs::path File(size_t n) const { return dir_ / fmt::format("record-{}.json", n); }

 private:
  fs::path dir_;
  bool created_ = false;
};

Status UploadJson(RemoteStorage& remote, const Json& value, const fs::path& file,
                  const std::string& key) {
  RETURN_IF_ERROR(AtomicWriteFile(file, value.dump(1) + "\n"));
  Status uploaded = remote.Upload(file, key);
  std::error_code ec;
  fs::remove(file, ec);
  return uploaded;
}

Result<Json> DownloadJson(RemoteStorage& remote, const fs::path& file, const std::string& key) {
  RETURN_IF_ERROR(remote.Download(key, file).status());
  Result<std::string> text = ReadFileToString(file);
  std::error_code ec;
  fs::remove(file, ec);
  if (!text.ok()) {
    return text.status();
  }
  Json value = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return Error(Code::kInvalid, "{} on {}: not valid JSON", key, remote.Describe());
  }
  return value;
}

// Downloads `keys` (kRecordJobs at a time) and parses them in key order.
Result<std::vector<Json>> DownloadAll(RemoteStorage& remote, const Scratch& scratch,
                                      const std::vector<std::string>& keys) {
  std::vector<std::optional<Result<Json>>> results(keys.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < keys.size(); i = next++) {
      results[i] = DownloadJson(remote, scratch.File(i), keys[i]);
    }
  };
  std::vector<std::thread> threads;
  const size_t jobs = std::min(kRecordJobs, keys.size());
  threads.reserve(jobs);
  for (size_t i = 0; i < jobs; ++i) {
    threads.emplace_back(worker);
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  std::vector<Json> values;
  values.reserve(keys.size());
  for (std::optional<Result<Json>>& result : results) {
    if (!result->ok()) {
      return result->status();
    }
    values.push_back(std::move(result->value()));
  }
  return values;
}

// ---------------------------------------------------------------------------
// What a store holds, indexed the way syncing needs it.

struct StoreIndex {
  std::map<int64_t, std::string> experiment_ids;    // experiment id -> sync id
  std::map<std::string, ExperimentRecord> by_sync;  // sync id -> record
  // model -> versions (newest first)
  std::map<std::string, std::vector<ModelVersion>> versions;
  std::set<std::string> hand_version_ids;  // sync ids of versions with no experiment
};

Result<StoreIndex> IndexStore(RegistryStore& store) {
  StoreIndex index;
  ASSIGN_OR_RETURN(std::vector<ExperimentRecord> experiments,
                   store.ListExperiments({.oldest_first = true}));
  for (ExperimentRecord& record : experiments) {
    std::string id = ExperimentSyncId(record);
    index.experiment_ids.emplace(record.id, id);
    index.by_sync.emplace(std::move(id), std::move(record));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> models, store.ListModels());
  for (const std::string& model : models) {
    ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, store.ListModelVersions(model));
    for (const ModelVersion& version : versions) {
      if (!version.experiment_id.has_value()) {
        index.hand_version_ids.insert(VersionSyncId(version.model, version.md5));
      }
    }
    index.versions.emplace(model, std::move(versions));
  }
  return index;
}

std::string ExperimentOf(const StoreIndex& index, const ModelVersion& version) {
  if (!version.experiment_id.has_value()) {
    return "";
  }
  auto it = index.experiment_ids.find(*version.experiment_id);
  return it == index.experiment_ids.end() ? "" : it->second;
}

// The store's own alias entries for `model`, from its alias history.
Result<AliasEntries> LocalAliasEntries(RegistryStore& store, const StoreIndex& index,
                                       const std::string& model) {
  ASSIGN_OR_RETURN(std::vector<AliasEvent> history, store.AliasHistory(model));
  AliasEntries entries;
  for (const AliasEvent& event : history) {  // oldest first: later moves overwrite
    AliasEntry entry{.removed = event.version == 0,
                     .at_ms = event.at_ms,
                     .actor = event.actor,
                     .reason = event.reason};
    if (!entry.removed) {
      for (const ModelVersion& version : index.versions.at(model)) {
        if (version.version == event.version) {
          entry.md5 = version.md5;
          entry.experiment = ExperimentOf(index, version);
        }
      }
    }
    entries[event.alias] = std::move(entry);
  }
  return entries;
}

// The version of `model` an alias entry means here: the one with its content
// from its experiment, else the newest with its content.
std::optional<int> VersionFor(const StoreIndex& index, const std::string& model,
                              const AliasEntry& entry) {
  auto it = index.versions.find(model);
  if (it == index.versions.end()) {
    return std::nullopt;
  }
  std::optional<int> newest_with_content;
  for (const ModelVersion& version : it->second) {  // newest first
    if (version.md5 != entry.md5) {
      continue;
    }
    if (!entry.experiment.empty() && ExperimentOf(index, version) == entry.experiment) {
      return version.version;
    }
    if (!newest_with_content.has_value()) {
      newest_with_content = version.version;
    }
  }
  return newest_with_content;
}

// Remote keys under the prefix, sorted into the three kinds.
struct RemoteListing {
  std::set<std::string> experiments;  // sync ids
  std::set<std::string> versions;     // sync ids
  std::set<std::string> alias_models;
};

std::optional<std::string> NameIn(std::string_view rest, std::string_view dir) {
  if (rest.substr(0, dir.size()) != dir || rest.size() <= dir.size() + kJsonSuffix.size() ||
      rest.substr(rest.size() - kJsonSuffix.size()) != kJsonSuffix) {
    return std::nullopt;
  }
  std::string_view name = rest.substr(dir.size(), rest.size() - dir.size() - kJsonSuffix.size());
  if (name.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(name);
}

Result<RemoteListing> ListRemote(RemoteStorage& remote) {
  ASSIGN_OR_RETURN(std::vector<RemoteObject> objects, remote.List(kRemoteRegistryPrefix));
  RemoteListing listing;
  for (const RemoteObject& object : objects) {
    std::string_view rest = std::string_view(object.key).substr(kRemoteRegistryPrefix.size());
    if (auto name = NameIn(rest, kExperimentsDir)) {
      listing.experiments.insert(std::move(*name));
    } else if (auto version = NameIn(rest, kVersionsDir)) {
      listing.versions.insert(std::move(*version));
    } else if (auto model = NameIn(rest, kAliasesDir)) {
      listing.alias_models.insert(std::move(*model));
    }
    // Anything else (a newer format's files) is not ours to read.
  }
  return listing;
}

Result<AliasEntries> RemoteAliasEntries(RemoteStorage& remote, const Scratch& scratch,
                                        const std::string& model) {
  const std::string key = RecordKey(kAliasesDir, model);
  ASSIGN_OR_RETURN(Json file, DownloadJson(remote, scratch.File(0), key));
  return ParseAliasFile(file, key, model);
}

// Applies the remote's aliases of `model` to a mirroring store.
Result<size_t> MirrorAliases(RegistryStore& store, const StoreIndex& index,
                             const std::string& model, const AliasEntries& remote_entries,
                             const std::string& actor) {
  ASSIGN_OR_RETURN(auto current, store.Aliases(model));
  size_t changed = 0;
  for (const auto& [alias, entry] : remote_entries) {
    std::optional<int> target;
    if (!entry.removed) {
      target = VersionFor(index, model, entry);
    }
    auto it = current.find(alias);
    if (target.has_value()) {
      if (it == current.end() || it->second != *target) {
        RETURN_IF_ERROR(store.SetAlias(model, alias, *target, actor, entry.reason).status());
        ++changed;
      }
    } else if (it != current.end()) {
      // Removed there, or pointing at content no record here has.
      RETURN_IF_ERROR(store.RemoveAlias(model, alias, actor, entry.reason).status());
      ++changed;
    }
  }
  for (const auto& [alias, version] : current) {
    if (remote_entries.count(alias) == 0) {
      RETURN_IF_ERROR(store.RemoveAlias(model, alias, actor, "not on the remote").status());
      ++changed;
    }
  }
  return changed;
}

}  // namespace

std::string ExperimentSyncId(const ExperimentRecord& record) {
  return Md5Hex(fmt::format("conveyor experiment\n{}\n{}\n{}\n{}\n{}", record.commit,
                            record.started_at_ms, record.finished_at_ms, record.author,
                            ExperimentStatusName(record.status)));
}

Json ExperimentDraftJson(const ExperimentRecord& record,
                         const std::vector<NewModelVersion>& models) {
  std::vector<ModelVersion> versions;
  versions.reserve(models.size());
  for (const NewModelVersion& model : models) {
    versions.push_back(ModelVersion{.model = model.model,
                                    .path = model.path,
                                    .md5 = model.md5,
                                    .spec_path = model.spec_path,
                                    .description = model.description,
                                    .created_by = model.created_by,
                                    .created_at_ms = record.finished_at_ms});
  }
  return ExperimentFile(record, versions);
}

Result<std::pair<ExperimentRecord, std::vector<NewModelVersion>>> ParseExperimentDraftJson(
    const Json& file, const std::string& where) {
  ASSIGN_OR_RETURN(PendingRecord parsed, ParseExperimentFile(file, where));
  return std::make_pair(std::move(*parsed.experiment), std::move(parsed.models));
}

std::string VersionSyncId(std::string_view model, std::string_view md5) {
  return Md5Hex(fmt::format("conveyor version\n{}\n{}", model, md5));
}

Result<std::set<std::string>> RegistryModelObjects(RegistryStore& store) {
  std::set<std::string> objects;
  ASSIGN_OR_RETURN(std::vector<std::string> models, store.ListModels());
  for (const std::string& model : models) {
    ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, store.ListModelVersions(model));
    for (const ModelVersion& version : versions) {
      objects.insert(version.md5);
    }
  }
  return objects;
}

Result<RegistryPushReport> PushRegistry(RegistryStore& store, RemoteStorage& remote,
                                        const fs::path& scratch_dir) {
  ASSIGN_OR_RETURN(StoreIndex index, IndexStore(store));
  ASSIGN_OR_RETURN(RemoteListing listing, ListRemote(remote));
  Scratch scratch(scratch_dir);
  RETURN_IF_ERROR(scratch.Create());
  RegistryPushReport report;

  // Each experiment's versions, to travel inside its record.
  std::map<int64_t, std::vector<ModelVersion>> by_experiment;
  for (const auto& [model, versions] : index.versions) {
    for (const ModelVersion& version : versions) {
      if (version.experiment_id.has_value()) {
        by_experiment[*version.experiment_id].push_back(version);
      }
    }
  }
  for (const auto& [id, record] : index.by_sync) {
    if (listing.experiments.count(id) != 0) {
      ++report.experiments_present;
      continue;
    }
    std::vector<ModelVersion>& versions = by_experiment[record.id];
    std::sort(versions.begin(), versions.end(), [](const ModelVersion& a, const ModelVersion& b) {
      return std::tie(a.model, a.version) < std::tie(b.model, b.version);
    });
    RETURN_IF_ERROR(UploadJson(remote, ExperimentFile(record, versions), scratch.File(0),
                               RecordKey(kExperimentsDir, id)));
    ++report.experiments_uploaded;
  }
  for (const auto& [model, versions] : index.versions) {
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {  // oldest first
      if (it->experiment_id.has_value()) {
        continue;
      }
      const std::string id = VersionSyncId(it->model, it->md5);
      if (listing.versions.count(id) != 0) {
        ++report.versions_present;
        continue;
      }
      RETURN_IF_ERROR(
          UploadJson(remote, VersionFile(*it), scratch.File(0), RecordKey(kVersionsDir, id)));
      listing.versions.insert(id);  // the same content registered twice travels once
      ++report.versions_uploaded;
    }
  }
  for (const auto& [model, versions] : index.versions) {
    ASSIGN_OR_RETURN(AliasEntries local, LocalAliasEntries(store, index, model));
    if (local.empty()) {
      continue;  // never moved an alias here: nothing to say about them
    }
    AliasEntries merged;
    if (listing.alias_models.count(model) != 0) {
      ASSIGN_OR_RETURN(merged, RemoteAliasEntries(remote, scratch, model));
    }
    const AliasEntries before = merged;
    for (auto& [alias, entry] : local) {
      auto it = merged.find(alias);
      if (it == merged.end() || it->second.at_ms < entry.at_ms) {
        merged[alias] = std::move(entry);
      }
    }
    if (merged != before) {
      RETURN_IF_ERROR(UploadJson(remote, AliasFile(model, merged), scratch.File(0),
                                 RecordKey(kAliasesDir, model)));
      ++report.alias_files_written;
    }
  }
  return report;
}

Result<RegistryImportReport> ImportRegistry(RemoteStorage& remote, RegistryStore& store,
                                            const fs::path& scratch_dir,
                                            const RegistryImportOptions& options) {
  ASSIGN_OR_RETURN(RemoteListing listing, ListRemote(remote));
  RegistryImportReport report;
  if (listing.experiments.empty() && listing.versions.empty() && listing.alias_models.empty()) {
    return report;
  }
  ASSIGN_OR_RETURN(StoreIndex index, IndexStore(store));
  Scratch scratch(scratch_dir);
  RETURN_IF_ERROR(scratch.Create());

  std::vector<std::string> keys;
  size_t experiment_keys = 0;
  for (const std::string& id : listing.experiments) {
    if (index.by_sync.count(id) != 0) {
      ++report.experiments_known;
    } else {
      keys.push_back(RecordKey(kExperimentsDir, id));
      ++experiment_keys;
    }
  }
  for (const std::string& id : listing.versions) {
    if (index.hand_version_ids.count(id) != 0) {
      ++report.versions_known;
    } else {
      keys.push_back(RecordKey(kVersionsDir, id));
    }
  }
  ASSIGN_OR_RETURN(std::vector<Json> files, DownloadAll(remote, scratch, keys));
  std::vector<PendingRecord> pending;
  pending.reserve(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    Result<PendingRecord> record = i < experiment_keys ? ParseExperimentFile(files[i], keys[i])
                                                       : ParseVersionFile(files[i], keys[i]);
    if (!record.ok()) {
      return Error(record.status().code(), "{} on {}", record.status().message(),
                   remote.Describe());
    }
    pending.push_back(std::move(record).value());
  }
  std::stable_sort(pending.begin(), pending.end(),
                   [](const PendingRecord& a, const PendingRecord& b) {
                     return std::tie(a.at_ms, a.key) < std::tie(b.at_ms, b.key);
                   });
  for (PendingRecord& record : pending) {
    if (record.experiment.has_value()) {
      RETURN_IF_ERROR(store.AddExperiment(std::move(*record.experiment), record.models)
                          .status()
                          .WithContext(record.key));
      ++report.experiments_imported;
    } else {
      RETURN_IF_ERROR(
          store.RegisterModelVersion(record.models.front()).status().WithContext(record.key));
      ++report.versions_imported;
    }
  }
  if (options.mirror_aliases) {
    if (!pending.empty()) {
      ASSIGN_OR_RETURN(index, IndexStore(store));  // the imported versions' numbers
    }
    const std::string actor = options.actor.empty() ? "remote" : options.actor;
    for (const auto& [model, versions] : index.versions) {
      AliasEntries entries;
      if (listing.alias_models.count(model) != 0) {
        ASSIGN_OR_RETURN(entries, RemoteAliasEntries(remote, scratch, model));
      }
      ASSIGN_OR_RETURN(size_t changed, MirrorAliases(store, index, model, entries, actor));
      report.aliases_changed += changed;
    }
  }
  return report;
}

}  // namespace conveyor
