// The PostgreSQL RegistryStore. The schema and its migrations are in
// postgres_schema.h; the libpq wrapper in pg_connection.h.
//
// Concurrency: writes run at READ COMMITTED and serialise where they must:
//   - version numbers: `INSERT INTO models … ON CONFLICT DO UPDATE SET
//     last_version = last_version + 1 RETURNING` increments the model's row
//     under its row lock, held to commit, so concurrent writers number in turn;
//   - experiment tags: AddExperiment holds a transaction advisory lock while
//     it picks a free tag and inserts it (UNIQUE backs it up);
//   - aliases: MoveAlias and RemoveAlias lock the model's row FOR UPDATE, so
//     `previous_version` in the history is exact.
// A serialisation failure or deadlock reruns the whole transaction, up to
// kMaxAttempts times. Multi-statement reads run in one REPEATABLE READ
// READ ONLY transaction, so they see one snapshot.
#include "registry/postgres_store.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <thread>
#include <utility>

#include "common/nearest.h"
#include "registry/alias_listener.h"
#include "registry/pg_connection.h"
#include "registry/postgres_rows.h"
#include "registry/postgres_schema.h"
#include "registry/store_rules.h"

namespace conveyor {
namespace {

constexpr int kMaxAttempts = 5;
// The advisory lock (two-key form: "conv", 2) AddExperiment holds to pick tags.
constexpr std::string_view kTagLockSql = "SELECT pg_advisory_xact_lock(1668247158, 2)";

class PostgresStore final : public RegistryStore {
 public:
  explicit PostgresStore(std::unique_ptr<PgConnection> conn)
      : conn_(std::move(conn)), where_("registry database " + conn_->target().Url()) {}

  std::string Describe() const override { return conn_->target().Url(); }
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
  Result<std::map<std::string, int>> Aliases(std::string_view model) override;
  Result<std::vector<AliasEvent>> AliasHistory(std::string_view model) override;
  Result<AliasEvent> MoveAlias(std::string_view model, std::string_view alias, int version,
                               std::optional<int> expected, std::string_view actor,
                               std::string_view reason) override;

 private:
  // Runs `body` in one read-write transaction, rerunning it when PostgreSQL
  // reports a serialisation failure or deadlock.
  Status Write(const std::function<Status()>& body);
  // Runs `body` in one REPEATABLE READ READ ONLY transaction.
  Status Read(const std::function<Status()>& body);
  Status RunTransaction(std::string_view begin, const std::function<Status()>& body);

  // Helpers below run inside the caller's transaction.
  Result<PgResult> Exec(std::string_view sql, const std::vector<PgParam>& params = {}) {
    return conn_->Exec(sql, params);
  }
  Result<std::string> ChooseTag(const ExperimentRecord& record);
  Result<ModelVersion> InsertVersion(const NewModelVersion& model,
                                     std::optional<int64_t> experiment_id, std::string_view tag);
  Result<std::vector<ExperimentRecord>> ReadExperiments(std::string_view where_order,
                                                        const std::vector<PgParam>& params);
  Result<std::vector<ModelVersion>> ReadVersions(std::string_view model,
                                                 std::optional<int> version);
  Result<std::vector<std::string>> ReadModels();
  Result<int> LatestVersion(std::string_view model);  // 0 for an unknown model
  Result<std::map<std::string, int>> ReadAliases(std::string_view model);
  // Also tells listeners (NotifyAliasMoved).
  Status RecordAliasEvent(const AliasEvent& event);
  // pg_notify on kAliasChannel (alias_listener.h), inside the transaction.
  Status NotifyAliasMoved(const AliasEvent& event);
  Status NoSuchModel(std::string_view model);
  Status CheckModelExists(std::string_view model);

  // Constant after construction.
  std::unique_ptr<PgConnection> conn_;
  std::string where_;  // "registry database postgresql://…", for errors
};

Status PostgresStore::RunTransaction(std::string_view begin, const std::function<Status()>& body) {
  RETURN_IF_ERROR(conn_->EnsureConnected());
  Status begun = Exec(begin).status();
  if (!begun.ok() && !conn_->healthy()) {
    // The server dropped an idle connection (restart, idle timeout): nothing
    // has been done yet, so reconnect and start again.
    RETURN_IF_ERROR(conn_->EnsureConnected());
    begun = Exec(begin).status();
  }
  RETURN_IF_ERROR(begun);
  Status status = body();
  if (status.ok())
    status = Exec("COMMIT").status();
  if (!status.ok())
    (void)Exec("ROLLBACK");  // a failed COMMIT has already ended the transaction
  return status;
}

Status PostgresStore::Write(const std::function<Status()>& body) {
  Status status;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    status = RunTransaction("BEGIN", body);
    if (status.code() != Code::kConflict)
      return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * attempt * attempt));
  }
  return Error(Code::kUnavailable, "{}: gave up after {} attempts: {}", where_, kMaxAttempts,
               status.message());
}

Status PostgresStore::Read(const std::function<Status()>& body) {
  return RunTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body);
}

Result<std::string> PostgresStore::ChooseTag(const ExperimentRecord& record) {
  const std::string& tag = record.tag;
  // The tag itself and every "<tag>.<anything>": those sort between
  // "<tag>." and "<tag>/" (tag is COLLATE "C").
  ASSIGN_OR_RETURN(PgResult rows, Exec("SELECT tag, id FROM experiments WHERE tag = $1 OR "
                                       "(tag > $1 || '.' AND tag < $1 || '/')",
                                       {tag}));
  std::vector<std::pair<std::string, int64_t>> taken;
  taken.reserve(static_cast<size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i)
    taken.emplace_back(rows.Text(i, 0), rows.Int(i, 1));
  return PickTag(record, taken, where_);
}

Result<ModelVersion> PostgresStore::InsertVersion(const NewModelVersion& model,
                                                  std::optional<int64_t> experiment_id,
                                                  std::string_view tag) {
  // Creates the model's row or increments it; the row stays locked to commit.
  ASSIGN_OR_RETURN(PgResult next,
                   Exec("INSERT INTO models (name, last_version) VALUES ($1, 1) "
                        "ON CONFLICT (name) DO UPDATE SET last_version = models.last_version + 1 "
                        "RETURNING last_version",
                        {model.model}));
  ModelVersion version{.model = model.model,
                       .version = static_cast<int>(next.Int(0, 0)),
                       .experiment_id = experiment_id,
                       .experiment_tag = std::string(tag),
                       .path = model.path,
                       .md5 = model.md5,
                       .spec_path = model.spec_path,
                       .description = model.description,
                       .created_by = model.created_by,
                       .created_at_ms = NowMs()};
  PgParam experiment;
  if (experiment_id)
    experiment = PgInt(*experiment_id);
  RETURN_IF_ERROR(Exec("INSERT INTO model_versions (model, version, experiment_id, path, md5, "
                       "spec_path, description, created_by, created_at_ms) "
                       "VALUES ($1, $2::integer, $3::bigint, $4, $5, $6, $7, $8, $9::bigint)",
                       {version.model, PgInt(int64_t{version.version}), experiment, version.path,
                        version.md5, version.spec_path, version.description, version.created_by,
                        PgInt(version.created_at_ms)})
                      .status());
  return version;
}

Result<std::pair<ExperimentRecord, std::vector<ModelVersion>>> PostgresStore::AddExperiment(
    ExperimentRecord record, const std::vector<NewModelVersion>& models) {
  RETURN_IF_ERROR(ValidateExperimentTag(record.tag));
  for (const NewModelVersion& model : models)
    RETURN_IF_ERROR(ValidateRegistryName("model name", model.model));
  std::string params, metrics;
  try {
    params = record.params.dump();  // ordered_json: keys in the caller's order
    metrics = record.metrics.dump();
  } catch (const nlohmann::json::exception& e) {
    return Error(Code::kInvalid, "experiment '{}': params or metrics cannot be stored: {}",
                 record.tag, e.what());
  }
  Result<std::string> lineage = PgLineageJson(record.lineage);
  if (!lineage.ok())
    return lineage.status().WithContext(fmt::format("experiment '{}'", record.tag));

  const ExperimentRecord proposed = record;
  std::vector<ModelVersion> versions;
  RETURN_IF_ERROR(Write([&]() -> Status {
    record = proposed;
    versions.clear();
    RETURN_IF_ERROR(Exec(kTagLockSql).status());
    ASSIGN_OR_RETURN(record.tag, ChooseTag(record));
    ASSIGN_OR_RETURN(
        PgResult inserted,
        Exec("INSERT INTO experiments (tag, named, commit_sha, branch, author, dirty, status, "
             "started_at_ms, finished_at_ms, params, metrics, message) VALUES ($1, "
             "$2::boolean, $3, $4, $5, $6::boolean, $7, $8::bigint, $9::bigint, $10::json, "
             "$11::json, $12) RETURNING id",
             {record.tag, PgBool(record.named), record.commit, record.branch, record.author,
              PgBool(record.dirty), std::string(ExperimentStatusName(record.status)),
              PgInt(record.started_at_ms), PgInt(record.finished_at_ms), params, metrics,
              record.message}));
    record.id = inserted.Int(0, 0);
    if (!record.lineage.empty()) {
      RETURN_IF_ERROR(
          Exec("INSERT INTO experiment_lineage (experiment_id, position, stage, role, path, md5, "
               "size, nfiles) "
               "SELECT $1::bigint, l.ord - 1, l.stage, l.role, l.path, l.md5, l.size, l.nfiles "
               "FROM ROWS FROM (json_to_recordset($2::json) AS (stage text, role text, path text, "
               "md5 text, size bigint, nfiles bigint)) WITH ORDINALITY "
               "AS l(stage, role, path, md5, size, nfiles, ord)",
               {PgInt(record.id), *lineage})
              .status());
    }
    for (const NewModelVersion& model : models) {
      ASSIGN_OR_RETURN(ModelVersion version, InsertVersion(model, record.id, record.tag));
      versions.push_back(std::move(version));
    }
    return OkStatus();
  }));
  return std::make_pair(std::move(record), std::move(versions));
}

Result<std::vector<ExperimentRecord>> PostgresStore::ReadExperiments(
    std::string_view where_order, const std::vector<PgParam>& params) {
  ASSIGN_OR_RETURN(PgResult rows,
                   Exec(std::string(kPgExperimentColumns) + std::string(where_order), params));
  ASSIGN_OR_RETURN(std::vector<ExperimentRecord> records, DecodeExperiments(rows, where_));
  if (records.empty())
    return records;
  std::vector<int64_t> ids;
  ids.reserve(records.size());
  for (const ExperimentRecord& record : records)
    ids.push_back(record.id);
  ASSIGN_OR_RETURN(PgResult lineage,
                   Exec(std::string(kPgLineageColumns) + "WHERE experiment_id = ANY($1::bigint[]) "
                                                         "ORDER BY experiment_id, position",
                        {PgIntArray(ids)}));
  AttachLineage(lineage, records);
  return records;
}

Result<std::vector<ExperimentRecord>> PostgresStore::ListExperiments(const ExperimentQuery& query) {
  std::string order = query.oldest_first ? "ORDER BY id ASC" : "ORDER BY id DESC";
  PgParam limit;  // NULL: no limit
  if (query.limit >= 0)
    limit = PgInt(query.limit);
  std::vector<ExperimentRecord> records;
  RETURN_IF_ERROR(Read([&]() -> Status {
    ASSIGN_OR_RETURN(records, ReadExperiments(order + " LIMIT $1::bigint OFFSET $2::bigint",
                                              {limit, PgInt(std::max<int64_t>(query.offset, 0))}));
    return OkStatus();
  }));
  return records;
}

Result<int64_t> PostgresStore::CountExperiments() {
  int64_t count = 0;
  RETURN_IF_ERROR(Read([&]() -> Status {
    ASSIGN_OR_RETURN(PgResult rows, Exec("SELECT count(*) FROM experiments"));
    count = rows.Int(0, 0);
    return OkStatus();
  }));
  return count;
}

Result<ExperimentRecord> PostgresStore::GetExperiment(int64_t id) {
  std::vector<ExperimentRecord> records;
  RETURN_IF_ERROR(Read([&]() -> Status {
    ASSIGN_OR_RETURN(records, ReadExperiments("WHERE id = $1::bigint", {PgInt(id)}));
    return OkStatus();
  }));
  if (records.empty())
    return Error(Code::kNotFound, "{}: no experiment #{}", where_, id);
  return std::move(records.front());
}

Result<std::vector<ExperimentRecord>> PostgresStore::FindExperiments(std::string_view ref) {
  std::vector<ExperimentRecord> found;
  RETURN_IF_ERROR(Read([&]() -> Status {
    ASSIGN_OR_RETURN(found, ReadExperiments("WHERE tag = $1", {std::string(ref)}));
    if (!found.empty() || !IsCommitPrefix(ref))
      return OkStatus();
    // ref is hex only, so it holds no LIKE wildcards.
    ASSIGN_OR_RETURN(
        found, ReadExperiments("WHERE commit_sha LIKE $1 || '%' ORDER BY id", {std::string(ref)}));
    return OkStatus();
  }));
  return found;
}

Status PostgresStore::RemoveExperiments(const std::vector<int64_t>& ids) {
  if (ids.empty())
    return OkStatus();
  return Write([&]() -> Status {
    ASSIGN_OR_RETURN(PgResult removed, Exec("DELETE FROM experiments WHERE id = ANY($1::bigint[]) "
                                            "RETURNING id",
                                            {PgIntArray(ids)}));
    std::set<int64_t> gone;
    for (int i = 0; i < removed.rows(); ++i)
      gone.insert(removed.Int(i, 0));
    for (int64_t id : ids) {
      if (gone.count(id) == 0)  // rolled back: nothing is removed
        return Error(Code::kNotFound, "{}: no experiment #{}", where_, id);
    }
    return OkStatus();
  });
}

Result<ModelVersion> PostgresStore::RegisterModelVersion(const NewModelVersion& model) {
  RETURN_IF_ERROR(ValidateRegistryName("model name", model.model));
  ModelVersion version;
  RETURN_IF_ERROR(Write([&]() -> Status {
    ASSIGN_OR_RETURN(version, InsertVersion(model, std::nullopt, ""));
    return OkStatus();
  }));
  return version;
}

Result<std::vector<std::string>> PostgresStore::ReadModels() {
  ASSIGN_OR_RETURN(PgResult rows, Exec("SELECT name FROM models ORDER BY name"));
  std::vector<std::string> models;
  models.reserve(static_cast<size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i)
    models.push_back(rows.Text(i, 0));
  return models;
}

Result<std::vector<std::string>> PostgresStore::ListModels() {
  std::vector<std::string> models;
  RETURN_IF_ERROR(Read([&]() -> Status {
    ASSIGN_OR_RETURN(models, ReadModels());
    return OkStatus();
  }));
  return models;
}

Result<int> PostgresStore::LatestVersion(std::string_view model) {
  ASSIGN_OR_RETURN(PgResult rows, Exec("SELECT COALESCE(max(version), 0) FROM model_versions "
                                       "WHERE model = $1",
                                       {std::string(model)}));
  return static_cast<int>(rows.Int(0, 0));
}

Status PostgresStore::NoSuchModel(std::string_view model) {
  Result<std::vector<std::string>> models = ReadModels();
  return Error(Code::kNotFound, "{}: no model '{}'{}", where_, model,
               models.ok() ? DidYouMean(model, *models) : std::string());
}

Status PostgresStore::CheckModelExists(std::string_view model) {
  ASSIGN_OR_RETURN(int latest, LatestVersion(model));
  return latest > 0 ? OkStatus() : NoSuchModel(model);
}

Result<std::vector<ModelVersion>> PostgresStore::ReadVersions(std::string_view model,
                                                              std::optional<int> version) {
  PgParam wanted;
  if (version)
    wanted = PgInt(int64_t{*version});
  ASSIGN_OR_RETURN(PgResult rows,
                   Exec(std::string(kPgVersionColumns) +
                            "WHERE v.model = $1 AND ($2::integer IS NULL OR v.version = $2) "
                            "ORDER BY v.version DESC",
                        {std::string(model), wanted}));
  return DecodeVersions(rows);
}

Result<std::vector<ModelVersion>> PostgresStore::ListModelVersions(std::string_view model) {
  std::vector<ModelVersion> versions;
  RETURN_IF_ERROR(Read([&]() -> Status {
    ASSIGN_OR_RETURN(versions, ReadVersions(model, std::nullopt));
    return versions.empty() ? NoSuchModel(model) : OkStatus();
  }));
  return versions;
}

Result<ModelVersion> PostgresStore::GetModelVersion(std::string_view model, int version) {
  std::vector<ModelVersion> versions;
  RETURN_IF_ERROR(Read([&]() -> Status {
    ASSIGN_OR_RETURN(versions, ReadVersions(model, version));
    if (!versions.empty())
      return OkStatus();
    ASSIGN_OR_RETURN(int latest, LatestVersion(model));
    if (latest == 0)
      return NoSuchModel(model);
    return Error(Code::kNotFound, "{}: no model version '{}@{}' (latest is {}@{})", where_, model,
                 version, model, latest);
  }));
  return std::move(versions.front());
}

Result<std::map<std::string, int>> PostgresStore::ReadAliases(std::string_view model) {
  ASSIGN_OR_RETURN(PgResult rows, Exec("SELECT alias, version FROM model_aliases WHERE model = $1",
                                       {std::string(model)}));
  std::map<std::string, int> aliases;
  for (int i = 0; i < rows.rows(); ++i)
    aliases.emplace(rows.Text(i, 0), static_cast<int>(rows.Int(i, 1)));
  return aliases;
}

Status PostgresStore::NotifyAliasMoved(const AliasEvent& event) {
  // Delivered to listeners when the transaction commits, and only then.
  return Exec("SELECT pg_notify($1, $2)",
              {std::string(kAliasChannel), AliasNotification(event.model, event.alias)})
      .status();
}

Status PostgresStore::RecordAliasEvent(const AliasEvent& event) {
  RETURN_IF_ERROR(NotifyAliasMoved(event));
  return Exec(
             "INSERT INTO alias_events (model, alias, version, previous_version, actor, reason, "
             "at_ms) VALUES ($1, $2, $3::integer, $4::integer, $5, $6, $7::bigint)",
             {event.model, event.alias, PgInt(int64_t{event.version}),
              PgInt(int64_t{event.previous_version}), event.actor, event.reason,
              PgInt(event.at_ms)})
      .status();
}

Result<AliasEvent> PostgresStore::MoveAlias(std::string_view model, std::string_view alias,
                                            int version, std::optional<int> expected,
                                            std::string_view actor, std::string_view reason) {
  RETURN_IF_ERROR(ValidateRegistryName("model name", model));
  RETURN_IF_ERROR(ValidateRegistryName("alias", alias));
  AliasEvent event;
  Status refused;
  Status written = Write([&]() -> Status {
    // Alias moves of one model take turns on its row.
    RETURN_IF_ERROR(
        Exec("SELECT 1 FROM models WHERE name = $1 FOR UPDATE", {std::string(model)}).status());
    ASSIGN_OR_RETURN(std::vector<ModelVersion> target, ReadVersions(model, version));
    if (target.empty()) {
      ASSIGN_OR_RETURN(int latest, LatestVersion(model));
      std::string hint = latest > 0 ? fmt::format(" (latest is {}@{})", model, latest)
                                    : fmt::format(" (no model '{}')", model);
      return Error(Code::kNotFound, "{}: no model version '{}@{}'{}", where_, model, version, hint);
    }
    ASSIGN_OR_RETURN(auto aliases, ReadAliases(model));
    auto previous = aliases.find(std::string(alias));
    // kConflict would make Write retry: roll back with another code and
    // return the refusal below.
    refused = CheckAliasUnmoved(where_, model, alias,
                                previous == aliases.end() ? 0 : previous->second, expected);
    if (!refused.ok())
      return Error(Code::kCancelled, "alias moved meanwhile");
    event = AliasEvent{.model = std::string(model),
                       .alias = std::string(alias),
                       .version = version,
                       .previous_version = previous == aliases.end() ? 0 : previous->second,
                       .actor = std::string(actor),
                       .reason = std::string(reason),
                       .at_ms = NowMs()};
    RETURN_IF_ERROR(Exec("INSERT INTO model_aliases (model, alias, version) "
                         "VALUES ($1, $2, $3::integer) "
                         "ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version",
                         {event.model, event.alias, PgInt(int64_t{version})})
                        .status());
    return RecordAliasEvent(event);
  });
  if (!refused.ok())
    return refused;
  RETURN_IF_ERROR(written);
  return event;
}

Result<AliasEvent> PostgresStore::RemoveAlias(std::string_view model, std::string_view alias,
                                              std::string_view actor, std::string_view reason) {
  RETURN_IF_ERROR(ValidateRegistryName("model name", model));
  RETURN_IF_ERROR(ValidateRegistryName("alias", alias));
  AliasEvent event;
  RETURN_IF_ERROR(Write([&]() -> Status {
    RETURN_IF_ERROR(
        Exec("SELECT 1 FROM models WHERE name = $1 FOR UPDATE", {std::string(model)}).status());
    ASSIGN_OR_RETURN(auto aliases, ReadAliases(model));
    auto previous = aliases.find(std::string(alias));
    if (previous == aliases.end()) {
      std::vector<std::string> names;
      names.reserve(aliases.size());
      for (const auto& entry : aliases)
        names.push_back(entry.first);
      return Error(Code::kNotFound, "{}: alias '{}@{}' is not set{}", where_, model, alias,
                   DidYouMean(alias, names));
    }
    event = AliasEvent{.model = std::string(model),
                       .alias = std::string(alias),
                       .version = 0,
                       .previous_version = previous->second,
                       .actor = std::string(actor),
                       .reason = std::string(reason),
                       .at_ms = NowMs()};
    RETURN_IF_ERROR(Exec("DELETE FROM model_aliases WHERE model = $1 AND alias = $2",
                         {event.model, event.alias})
                        .status());
    return RecordAliasEvent(event);
  }));
  return event;
}

Result<std::map<std::string, int>> PostgresStore::Aliases(std::string_view model) {
  std::map<std::string, int> aliases;
  RETURN_IF_ERROR(Read([&]() -> Status {
    RETURN_IF_ERROR(CheckModelExists(model));
    ASSIGN_OR_RETURN(aliases, ReadAliases(model));
    return OkStatus();
  }));
  return aliases;
}

Result<std::vector<AliasEvent>> PostgresStore::AliasHistory(std::string_view model) {
  std::vector<AliasEvent> events;
  RETURN_IF_ERROR(Read([&]() -> Status {
    RETURN_IF_ERROR(CheckModelExists(model));
    ASSIGN_OR_RETURN(PgResult rows,
                     Exec(std::string(kPgAliasEventColumns) + "WHERE model = $1 ORDER BY id",
                          {std::string(model)}));
    events = DecodeAliasEvents(rows);
    return OkStatus();
  }));
  return events;
}

}  // namespace

Result<std::unique_ptr<RegistryStore>> OpenPostgresStore(std::string_view url) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(url));
  RETURN_IF_ERROR(MigratePostgresSchema(*conn));
  return std::unique_ptr<RegistryStore>(std::make_unique<PostgresStore>(std::move(conn)));
}

}  // namespace conveyor
