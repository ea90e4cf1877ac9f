// The SQLite RegistryStore; the schema is in sqlite_schema.h.
#include "registry/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "common/nearest.h"
#include "registry/sqlite_db.h"
#include "registry/sqlite_schema.h"
#include "registry/store_rules.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using AliasMap = std::map<std::string, int>;

constexpr const char* kExperimentColumns =
    "SELECT id, tag, named, commit_sha, branch, author, dirty, status, started_at_ms, "
    "finished_at_ms, params, metrics, message FROM experiments ";
constexpr const char* kVersionColumns =
    "SELECT mv.model, mv.version, mv.experiment_id, e.tag, mv.path, mv.md5, mv.spec_path, "
    "mv.description, mv.created_by, mv.created_at_ms FROM model_versions AS mv "
    "LEFT JOIN experiments AS e ON e.id = mv.experiment_id ";

class SqliteStore final : public RegistryStore {
 public:
  SqliteStore(std::unique_ptr<SqliteDb> db, std::string where)
      : db_(std::move(db)), where_(std::move(where)) {}

  std::string Describe() const override { return "sqlite:" + db_->path(); }
  Result<std::pair<ExperimentRecord, std::vector<ModelVersion>>> AddExperiment(
      ExperimentRecord record, const std::vector<NewModelVersion>& models) override;
  Result<std::vector<ExperimentRecord>> ListExperiments(const ExperimentQuery& query) override;
  Result<int64_t> CountExperiments() override;
  Result<ExperimentRecord> GetExperiment(int64_t id) override;
  Result<std::vector<ExperimentRecord>> FindExperiments(std::string_view ref) override;
  Status RemoveExperiments(const std::vector<int64_t>& ids) override;
  Result<ModelVersion> RegisterModelVersion(const NewModelVersion& model) override;
  Result<std::vector<std::string>> ListModels() override;
  Result<std::vector<ModelVersion>> ListModelVersions(std::string_view model) override;
  Result<ModelVersion> GetModelVersion(std::string_view model, int version) override;
  Result<AliasEvent> RemoveAlias(std::string_view model, std::string_view alias,
                                 std::string_view actor, std::string_view reason) override;
  Result<AliasMap> Aliases(std::string_view model) override;
  Result<std::vector<AliasEvent>> AliasHistory(std::string_view model) override;
  Result<AliasEvent> MoveAlias(std::string_view model, std::string_view alias, int version,
                               std::optional<int> expected, std::string_view actor,
                               std::string_view reason) override;

 private:
  // Helpers below run inside the caller's transaction.
  Result<std::string> ChooseTag(const ExperimentRecord& record);
  Result<ModelVersion> InsertVersion(const NewModelVersion& model,
                                     std::optional<int64_t> experiment_id, std::string_view tag);
  Result<std::vector<ExperimentRecord>> ReadExperiments(SqliteStatement& stmt);
  Result<std::vector<ModelVersion>> ReadVersions(std::string_view model,
                                                 std::optional<int> version);
  Result<std::vector<std::string>> ReadModels();
  Result<int> LatestVersion(std::string_view model);  // 0 for an unknown model
  Result<AliasMap> ReadAliases(std::string_view model);
  Status RecordAliasEvent(const AliasEvent& event);
  std::string ModelHint(std::string_view model);  // " (did you mean 'x'?)" or ""
  Status NoSuchModel(std::string_view model);
  Status NoSuchVersion(std::string_view model, int version);
  Status CheckModelExists(std::string_view model);

  // Constant after construction.
  std::unique_ptr<SqliteDb> db_;
  std::string where_;  // "registry database <path>", for errors
};

Result<std::string> SqliteStore::ChooseTag(const ExperimentRecord& record) {
  const std::string& tag = record.tag;
  // The tag itself and every "<tag>.<anything>": those sort between "<tag>." and "<tag>/".
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_->Prepare("SELECT tag, id FROM experiments WHERE tag = ?1 OR "
                                "(tag > ?1 || '.' AND tag < ?1 || '/')"));
  stmt.Bind(1, tag);
  std::vector<std::pair<std::string, int64_t>> taken;
  RETURN_IF_ERROR(stmt.ForEachRow([&] { taken.emplace_back(stmt.Text(0), stmt.Int(1)); }));
  return PickTag(record, taken, where_);
}

Result<ModelVersion> SqliteStore::InsertVersion(const NewModelVersion& model,
                                                std::optional<int64_t> experiment_id,
                                                std::string_view tag) {
  ASSIGN_OR_RETURN(int latest, LatestVersion(model.model));
  ModelVersion version{.model = model.model,
                       .version = latest + 1,
                       .experiment_id = experiment_id,
                       .experiment_tag = std::string(tag),
                       .path = model.path,
                       .md5 = model.md5,
                       .spec_path = model.spec_path,
                       .description = model.description,
                       .created_by = model.created_by,
                       .created_at_ms = NowMs()};
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_->Prepare("INSERT INTO model_versions(model, version, experiment_id, path, "
                                "md5, spec_path, description, created_by, created_at_ms) "
                                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  stmt.Bind(1, version.model).Bind(2, int64_t{version.version});
  if (experiment_id)
    stmt.Bind(3, *experiment_id);
  else
    stmt.BindNull(3);
  stmt.Bind(4, version.path).Bind(5, version.md5).Bind(6, version.spec_path);
  stmt.Bind(7, version.description).Bind(8, version.created_by).Bind(9, version.created_at_ms);
  RETURN_IF_ERROR(stmt.Run());
  return version;
}

Result<std::pair<ExperimentRecord, std::vector<ModelVersion>>> SqliteStore::AddExperiment(
    ExperimentRecord record, const std::vector<NewModelVersion>& models) {
  RETURN_IF_ERROR(ValidateExperimentTag(record.tag));
  for (const NewModelVersion& model : models)
    RETURN_IF_ERROR(ValidateRegistryName("model name", model.model));
  std::string params, metrics;
  try {
    params = record.params.dump();
    metrics = record.metrics.dump();
  } catch (const nlohmann::json::exception& e) {
    return Error(Code::kInvalid, "experiment '{}': params or metrics cannot be stored: {}",
                 record.tag, e.what());
  }

  ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  ASSIGN_OR_RETURN(record.tag, ChooseTag(record));
  ASSIGN_OR_RETURN(
      SqliteStatement insert,
      db_->Prepare("INSERT INTO experiments(tag, named, commit_sha, branch, author, "
                   "dirty, status, started_at_ms, finished_at_ms, params, metrics, "
                   "message) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"));
  insert.Bind(1, record.tag).Bind(2, int64_t{record.named}).Bind(3, record.commit);
  insert.Bind(4, record.branch).Bind(5, record.author).Bind(6, int64_t{record.dirty});
  insert.Bind(7, ExperimentStatusName(record.status)).Bind(8, record.started_at_ms);
  insert.Bind(9, record.finished_at_ms).Bind(10, params).Bind(11, metrics);
  insert.Bind(12, record.message);
  RETURN_IF_ERROR(insert.Run());
  record.id = db_->LastInsertId();

  ASSIGN_OR_RETURN(SqliteStatement lineage,
                   db_->Prepare("INSERT INTO lineage(experiment_id, seq, stage, role, path, md5, "
                                "size, nfiles) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  for (size_t i = 0; i < record.lineage.size(); ++i) {
    const LineageEntry& entry = record.lineage[i];
    lineage.Reset();
    lineage.Bind(1, record.id).Bind(2, static_cast<int64_t>(i)).Bind(3, entry.stage);
    lineage.Bind(4, entry.role).Bind(5, entry.path).Bind(6, entry.md5);
    lineage.Bind(7, entry.size).Bind(8, entry.nfiles);
    RETURN_IF_ERROR(lineage.Run());
  }
  std::vector<ModelVersion> versions;
  for (const NewModelVersion& model : models) {
    ASSIGN_OR_RETURN(ModelVersion version, InsertVersion(model, record.id, record.tag));
    versions.push_back(std::move(version));
  }
  RETURN_IF_ERROR(txn.Commit());
  return std::make_pair(std::move(record), std::move(versions));
}

Result<std::vector<ExperimentRecord>> SqliteStore::ReadExperiments(SqliteStatement& stmt) {
  std::vector<ExperimentRecord> records;
  Status corrupt;
  RETURN_IF_ERROR(stmt.ForEachRow([&] {
    ExperimentRecord r;
    r.id = stmt.Int(0);
    r.tag = stmt.Text(1);
    r.named = stmt.Int(2) != 0;
    r.commit = stmt.Text(3);
    r.branch = stmt.Text(4);
    r.author = stmt.Text(5);
    r.dirty = stmt.Int(6) != 0;
    r.status = stmt.Text(7) == "failed" ? ExperimentStatus::kFailed : ExperimentStatus::kSucceeded;
    r.started_at_ms = stmt.Int(8);
    r.finished_at_ms = stmt.Int(9);
    try {
      r.params = Json::parse(stmt.Text(10));
      r.metrics = Json::parse(stmt.Text(11));
    } catch (const nlohmann::json::exception& e) {
      corrupt = Error(Code::kIo, "{}: experiment #{} has corrupt params or metrics: {}", where_,
                      r.id, e.what());
    }
    r.message = stmt.Text(12);
    records.push_back(std::move(r));
  }));
  RETURN_IF_ERROR(corrupt);
  ASSIGN_OR_RETURN(SqliteStatement lineage,
                   db_->Prepare("SELECT stage, role, path, md5, size, nfiles FROM lineage "
                                "WHERE experiment_id = ?1 ORDER BY seq"));
  for (ExperimentRecord& record : records) {
    lineage.Reset();
    lineage.Bind(1, record.id);
    RETURN_IF_ERROR(lineage.ForEachRow([&] {
      record.lineage.push_back(LineageEntry{lineage.Text(0), lineage.Text(1), lineage.Text(2),
                                            lineage.Text(3), lineage.Int(4), lineage.Int(5)});
    }));
  }
  return records;
}

Result<std::vector<ExperimentRecord>> SqliteStore::ListExperiments(const ExperimentQuery& query) {
  std::string sql = std::string(kExperimentColumns) +
                    (query.oldest_first ? "ORDER BY id ASC" : "ORDER BY id DESC") +
                    " LIMIT ?1 OFFSET ?2";
  ASSIGN_OR_RETURN(SqliteTransaction snapshot, SqliteTransaction::BeginRead(*db_));
  ASSIGN_OR_RETURN(SqliteStatement stmt, db_->Prepare(sql));
  stmt.Bind(1, query.limit < 0 ? int64_t{-1} : query.limit);
  stmt.Bind(2, std::max<int64_t>(query.offset, 0));
  return ReadExperiments(stmt);
}

Result<int64_t> SqliteStore::CountExperiments() {
  ASSIGN_OR_RETURN(SqliteStatement stmt, db_->Prepare("SELECT count(*) FROM experiments"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : 0;
}

Result<ExperimentRecord> SqliteStore::GetExperiment(int64_t id) {
  ASSIGN_OR_RETURN(SqliteTransaction snapshot, SqliteTransaction::BeginRead(*db_));
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_->Prepare(std::string(kExperimentColumns) + "WHERE id = ?1"));
  stmt.Bind(1, id);
  ASSIGN_OR_RETURN(std::vector<ExperimentRecord> records, ReadExperiments(stmt));
  if (records.empty())
    return Error(Code::kNotFound, "{}: no experiment #{}", where_, id);
  return std::move(records.front());
}

Result<std::vector<ExperimentRecord>> SqliteStore::FindExperiments(std::string_view ref) {
  ASSIGN_OR_RETURN(SqliteTransaction snapshot, SqliteTransaction::BeginRead(*db_));
  ASSIGN_OR_RETURN(SqliteStatement by_tag,
                   db_->Prepare(std::string(kExperimentColumns) + "WHERE tag = ?1"));
  by_tag.Bind(1, ref);
  ASSIGN_OR_RETURN(std::vector<ExperimentRecord> found, ReadExperiments(by_tag));
  if (!found.empty() || !IsCommitPrefix(ref))
    return found;
  ASSIGN_OR_RETURN(SqliteStatement by_commit,
                   db_->Prepare(std::string(kExperimentColumns) +
                                "WHERE substr(commit_sha, 1, ?2) = ?1 ORDER BY id"));
  by_commit.Bind(1, ref).Bind(2, static_cast<int64_t>(ref.size()));
  return ReadExperiments(by_commit);
}

Status SqliteStore::RemoveExperiments(const std::vector<int64_t>& ids) {
  ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  ASSIGN_OR_RETURN(SqliteStatement remove, db_->Prepare("DELETE FROM experiments WHERE id = ?1"));
  std::set<int64_t> removed;
  for (int64_t id : ids) {
    if (!removed.insert(id).second)
      continue;  // listed twice
    remove.Reset();
    RETURN_IF_ERROR(remove.Bind(1, id).Run());
    if (db_->Changes() == 0)  // the rollback undoes the deletes before this one
      return Error(Code::kNotFound, "{}: no experiment #{}", where_, id);
  }
  return txn.Commit();
}

Result<ModelVersion> SqliteStore::RegisterModelVersion(const NewModelVersion& model) {
  RETURN_IF_ERROR(ValidateRegistryName("model name", model.model));
  ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  ASSIGN_OR_RETURN(ModelVersion version, InsertVersion(model, std::nullopt, ""));
  RETURN_IF_ERROR(txn.Commit());
  return version;
}

Result<std::vector<std::string>> SqliteStore::ReadModels() {
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_->Prepare("SELECT DISTINCT model FROM model_versions ORDER BY model"));
  std::vector<std::string> models;
  RETURN_IF_ERROR(stmt.ForEachRow([&] { models.push_back(stmt.Text(0)); }));
  return models;
}

Result<std::vector<std::string>> SqliteStore::ListModels() { return ReadModels(); }

Result<int> SqliteStore::LatestVersion(std::string_view model) {
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_->Prepare("SELECT COALESCE(max(version), 0) FROM model_versions "
                                "WHERE model = ?1"));
  stmt.Bind(1, model);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? static_cast<int>(stmt.Int(0)) : 0;
}

std::string SqliteStore::ModelHint(std::string_view model) {
  Result<std::vector<std::string>> models = ReadModels();
  return models.ok() ? DidYouMean(model, *models) : std::string();
}

Status SqliteStore::NoSuchModel(std::string_view model) {
  return Error(Code::kNotFound, "{}: no model '{}'{}", where_, model, ModelHint(model));
}

Status SqliteStore::NoSuchVersion(std::string_view model, int version) {
  ASSIGN_OR_RETURN(int latest, LatestVersion(model));
  if (latest == 0) {
    return Error(Code::kNotFound, "{}: no model version '{}@{}': no model '{}'{}", where_, model,
                 version, model, ModelHint(model));
  }
  return Error(Code::kNotFound, "{}: no model version '{}@{}' (latest is {}@{})", where_, model,
               version, model, latest);
}

Status SqliteStore::CheckModelExists(std::string_view model) {
  ASSIGN_OR_RETURN(int latest, LatestVersion(model));
  return latest > 0 ? OkStatus() : NoSuchModel(model);
}

Result<std::vector<ModelVersion>> SqliteStore::ReadVersions(std::string_view model,
                                                            std::optional<int> version) {
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_->Prepare(std::string(kVersionColumns) +
                                "WHERE mv.model = ?1 AND (?2 IS NULL OR mv.version = ?2) "
                                "ORDER BY mv.version DESC"));
  stmt.Bind(1, model);
  if (version)
    stmt.Bind(2, int64_t{*version});
  std::vector<ModelVersion> versions;
  RETURN_IF_ERROR(stmt.ForEachRow([&] {
    ModelVersion v{.model = stmt.Text(0), .version = static_cast<int>(stmt.Int(1))};
    if (!stmt.IsNull(2))
      v.experiment_id = stmt.Int(2);
    v.experiment_tag = stmt.Text(3);
    v.path = stmt.Text(4);
    v.md5 = stmt.Text(5);
    v.spec_path = stmt.Text(6);
    v.description = stmt.Text(7);
    v.created_by = stmt.Text(8);
    v.created_at_ms = stmt.Int(9);
    versions.push_back(std::move(v));
  }));
  ASSIGN_OR_RETURN(AliasMap aliases, ReadAliases(model));
  for (const auto& [alias, target] : aliases) {  // sorted by alias, so each list is too
    for (ModelVersion& v : versions) {
      if (v.version == target)
        v.aliases.push_back(alias);
    }
  }
  return versions;
}

Result<std::vector<ModelVersion>> SqliteStore::ListModelVersions(std::string_view model) {
  ASSIGN_OR_RETURN(SqliteTransaction snapshot, SqliteTransaction::BeginRead(*db_));
  ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, ReadVersions(model, std::nullopt));
  if (versions.empty())
    return NoSuchModel(model);
  return versions;
}

Result<ModelVersion> SqliteStore::GetModelVersion(std::string_view model, int version) {
  ASSIGN_OR_RETURN(SqliteTransaction snapshot, SqliteTransaction::BeginRead(*db_));
  ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, ReadVersions(model, version));
  if (!versions.empty())
    return std::move(versions.front());
  return NoSuchVersion(model, version);
}

Result<AliasMap> SqliteStore::ReadAliases(std::string_view model) {
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_->Prepare("SELECT alias, version FROM aliases WHERE model = ?1"));
  stmt.Bind(1, model);
  AliasMap aliases;
  RETURN_IF_ERROR(
      stmt.ForEachRow([&] { aliases.emplace(stmt.Text(0), static_cast<int>(stmt.Int(1))); }));
  return aliases;
}

Status SqliteStore::RecordAliasEvent(const AliasEvent& event) {
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_->Prepare("INSERT INTO alias_events(model, alias, version, "
                                "previous_version, actor, reason, at_ms) "
                                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  stmt.Bind(1, event.model).Bind(2, event.alias).Bind(3, int64_t{event.version});
  stmt.Bind(4, int64_t{event.previous_version}).Bind(5, event.actor).Bind(6, event.reason);
  return stmt.Bind(7, event.at_ms).Run();
}

Result<AliasEvent> SqliteStore::MoveAlias(std::string_view model, std::string_view alias,
                                          int version, std::optional<int> expected,
                                          std::string_view actor, std::string_view reason) {
  RETURN_IF_ERROR(ValidateRegistryName("model name", model));
  RETURN_IF_ERROR(ValidateRegistryName("alias", alias));
  ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  ASSIGN_OR_RETURN(std::vector<ModelVersion> target, ReadVersions(model, version));
  if (target.empty())
    return NoSuchVersion(model, version);
  ASSIGN_OR_RETURN(AliasMap aliases, ReadAliases(model));
  auto previous = aliases.find(std::string(alias));
  RETURN_IF_ERROR(CheckAliasUnmoved(where_, model, alias,
                                    previous == aliases.end() ? 0 : previous->second, expected));
  AliasEvent event{.model = std::string(model),
                   .alias = std::string(alias),
                   .version = version,
                   .previous_version = previous == aliases.end() ? 0 : previous->second,
                   .actor = std::string(actor),
                   .reason = std::string(reason),
                   .at_ms = NowMs()};
  ASSIGN_OR_RETURN(SqliteStatement set,
                   db_->Prepare("INSERT INTO aliases(model, alias, version) VALUES(?1, ?2, ?3) "
                                "ON CONFLICT(model, alias) DO UPDATE SET version = ?3"));
  RETURN_IF_ERROR(set.Bind(1, model).Bind(2, alias).Bind(3, int64_t{version}).Run());
  RETURN_IF_ERROR(RecordAliasEvent(event));
  RETURN_IF_ERROR(txn.Commit());
  return event;
}

Result<AliasEvent> SqliteStore::RemoveAlias(std::string_view model, std::string_view alias,
                                            std::string_view actor, std::string_view reason) {
  RETURN_IF_ERROR(ValidateRegistryName("model name", model));
  RETURN_IF_ERROR(ValidateRegistryName("alias", alias));
  ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  ASSIGN_OR_RETURN(AliasMap aliases, ReadAliases(model));
  auto previous = aliases.find(std::string(alias));
  if (previous == aliases.end()) {
    std::vector<std::string> names;
    for (const auto& entry : aliases)
      names.push_back(entry.first);
    return Error(Code::kNotFound, "{}: alias '{}@{}' is not set{}", where_, model, alias,
                 DidYouMean(alias, names));
  }
  AliasEvent event{.model = std::string(model),
                   .alias = std::string(alias),
                   .version = 0,
                   .previous_version = previous->second,
                   .actor = std::string(actor),
                   .reason = std::string(reason),
                   .at_ms = NowMs()};
  ASSIGN_OR_RETURN(SqliteStatement remove,
                   db_->Prepare("DELETE FROM aliases WHERE model = ?1 AND alias = ?2"));
  RETURN_IF_ERROR(remove.Bind(1, model).Bind(2, alias).Run());
  RETURN_IF_ERROR(RecordAliasEvent(event));
  RETURN_IF_ERROR(txn.Commit());
  return event;
}

Result<AliasMap> SqliteStore::Aliases(std::string_view model) {
  ASSIGN_OR_RETURN(SqliteTransaction snapshot, SqliteTransaction::BeginRead(*db_));
  RETURN_IF_ERROR(CheckModelExists(model));
  return ReadAliases(model);
}

Result<std::vector<AliasEvent>> SqliteStore::AliasHistory(std::string_view model) {
  ASSIGN_OR_RETURN(SqliteTransaction snapshot, SqliteTransaction::BeginRead(*db_));
  RETURN_IF_ERROR(CheckModelExists(model));
  ASSIGN_OR_RETURN(SqliteStatement stmt,
                   db_->Prepare("SELECT model, alias, version, previous_version, actor, reason, "
                                "at_ms FROM alias_events WHERE model = ?1 ORDER BY id"));
  stmt.Bind(1, model);
  std::vector<AliasEvent> events;
  RETURN_IF_ERROR(stmt.ForEachRow([&] {
    events.push_back(AliasEvent{stmt.Text(0), stmt.Text(1), static_cast<int>(stmt.Int(2)),
                                static_cast<int>(stmt.Int(3)), stmt.Text(4), stmt.Text(5),
                                stmt.Int(6)});
  }));
  return events;
}

}  // namespace

Result<std::unique_ptr<RegistryStore>> OpenSqliteStore(const fs::path& path,
                                                       const SqliteStoreOptions& options) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec)
    return Error(Code::kIo, "registry database {}: cannot resolve the path: {}", path.string(),
                 ec.message());
  SqliteDb::Options db_options{.label = "registry database",
                               .busy_timeout_ms = options.busy_timeout_ms};
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                   SqliteDb::Open(absolute.lexically_normal(), db_options));
  // SQLite answers some lock conflicts of a first open (switching a fresh
  // file to WAL while another connection reads it) with SQLITE_BUSY at once,
  // without calling the busy handler. Retry those until the timeout.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  for (;;) {
    Status migrated = MigrateRegistrySchema(*db);
    if (migrated.ok())
      break;
    if (migrated.code() != Code::kUnavailable || std::chrono::steady_clock::now() >= deadline)
      return migrated;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string where = "registry database " + db->path();
  return std::unique_ptr<RegistryStore>(
      std::make_unique<SqliteStore>(std::move(db), std::move(where)));
}

}  // namespace conveyor
