#include "registry/sqlite_schema.h"

#include <array>
#include <cstdint>
#include <string>

namespace conveyor {
namespace {

// Append a step for each new version; never edit a released one.
constexpr std::array<const char*, 1> kMigrations = {
    R"sql(
CREATE TABLE schema_version(version INTEGER NOT NULL);
CREATE TABLE experiments(
  id INTEGER PRIMARY KEY,
  tag TEXT NOT NULL UNIQUE,
  named INTEGER NOT NULL,
  commit_sha TEXT NOT NULL,
  branch TEXT NOT NULL,
  author TEXT NOT NULL,
  dirty INTEGER NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('succeeded', 'failed')),
  started_at_ms INTEGER NOT NULL,
  finished_at_ms INTEGER NOT NULL,
  params TEXT NOT NULL,
  metrics TEXT NOT NULL,
  message TEXT NOT NULL);
CREATE INDEX experiments_commit ON experiments(commit_sha);
CREATE TABLE lineage(
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  stage TEXT NOT NULL,
  role TEXT NOT NULL,
  path TEXT NOT NULL,
  md5 TEXT NOT NULL,
  size INTEGER NOT NULL,
  nfiles INTEGER NOT NULL,
  PRIMARY KEY(experiment_id, seq)) WITHOUT ROWID;
CREATE INDEX lineage_md5 ON lineage(md5);
CREATE TABLE model_versions(
  id INTEGER PRIMARY KEY,
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  experiment_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
  path TEXT NOT NULL,
  md5 TEXT NOT NULL,
  spec_path TEXT NOT NULL,
  description TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  UNIQUE(model, version));
CREATE INDEX model_versions_experiment ON model_versions(experiment_id);
CREATE TABLE aliases(
  model TEXT NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY(model, alias),
  FOREIGN KEY(model, version) REFERENCES model_versions(model, version)) WITHOUT ROWID;
CREATE TABLE alias_events(
  id INTEGER PRIMARY KEY,
  model TEXT NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  previous_version INTEGER NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at_ms INTEGER NOT NULL);
CREATE INDEX alias_events_model ON alias_events(model, id);
)sql",
};
static_assert(kMigrations.size() == kRegistrySchemaVersion, "one migration per version");

// The first column of the first row `sql` returns ("" for none).
Result<std::string> ReadText(SqliteDb& db, const char* sql) {
  ASSIGN_OR_RETURN(SqliteStatement stmt, db.Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Text(0) : std::string();
}

Result<int> ReadSchemaVersion(SqliteDb& db) {
  ASSIGN_OR_RETURN(bool exists, db.HasTable("schema_version"));
  if (!exists)
    return 0;
  ASSIGN_OR_RETURN(SqliteStatement stmt, db.Prepare("SELECT max(version) FROM schema_version"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? static_cast<int>(stmt.Int(0)) : 0;
}

}  // namespace

Status MigrateRegistrySchema(SqliteDb& db) {
  auto refuse_newer = [&](int version) {
    return Error(Code::kConflict,
                 "registry database {} has schema version {}, newer than this conveyor "
                 "understands (version {}); upgrade conveyor",
                 db.path(), version, kRegistrySchemaVersion);
  };
  // Read before writing anything: a newer file must stay untouched.
  ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db));
  if (version > kRegistrySchemaVersion)
    return refuse_newer(version);
  ASSIGN_OR_RETURN(std::string mode, ReadText(db, "PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return Error(Code::kUnavailable,
                 "registry database {}: cannot switch to WAL journal mode (still '{}')", db.path(),
                 mode);
  }
  RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=NORMAL"));
  if (version == kRegistrySchemaVersion)
    return OkStatus();

  ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(db));
  ASSIGN_OR_RETURN(version, ReadSchemaVersion(db));  // another process may have migrated
  if (version > kRegistrySchemaVersion)
    return refuse_newer(version);
  if (version == kRegistrySchemaVersion)
    return txn.Commit();
  for (int step = version; step < kRegistrySchemaVersion; ++step)
    RETURN_IF_ERROR(db.Exec(kMigrations[step]));
  RETURN_IF_ERROR(db.Exec("DELETE FROM schema_version"));
  ASSIGN_OR_RETURN(SqliteStatement set,
                   db.Prepare("INSERT INTO schema_version(version) VALUES(?1)"));
  RETURN_IF_ERROR(set.Bind(1, int64_t{kRegistrySchemaVersion}).Run());
  return txn.Commit();
}

}  // namespace conveyor
