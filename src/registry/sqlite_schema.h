// The registry's SQLite schema: its versions and the migrations between them.
//
// Version 1 (kMigrations[0] in sqlite_schema.cc):
//   schema_version(version)                     -- one row: the current version
//   experiments(id INTEGER PRIMARY KEY, tag UNIQUE, named, commit_sha, branch,
//               author, dirty, status 'succeeded'|'failed', started_at_ms,
//               finished_at_ms, params JSON, metrics JSON, message)
//   lineage(experiment_id -> experiments ON DELETE CASCADE, seq, stage, role,
//           path, md5, size, nfiles)            -- seq keeps the caller's order
//   model_versions(id, model, version, experiment_id -> experiments ON DELETE
//                  SET NULL, path, md5, spec_path, description, created_by,
//                  created_at_ms, UNIQUE(model, version))
//   aliases(model, alias, version, PRIMARY KEY(model, alias),
//           (model, version) -> model_versions)
//   alias_events(id, model, alias, version, previous_version, actor, reason, at_ms)
// JSON columns hold nlohmann::ordered_json dumps (key order kept; doubles
// round-trip exactly). Versions move forward only: kMigrations[i] takes
// version i to i + 1 in one transaction with the version bump; the oldest
// supported version is 0 (an empty file). A file with a newer version is
// refused (kConflict) before anything is written to it.
#pragma once

#include "common/status.h"
#include "registry/sqlite_db.h"

namespace conveyor {

// The version this build writes and understands.
inline constexpr int kRegistrySchemaVersion = 1;

// Brings the database at `db` to kRegistrySchemaVersion: creates the schema
// in an empty file, applies each later migration in one IMMEDIATE
// transaction (safe against a concurrent open of the same file), and puts
// the file in WAL mode. kConflict, with the file unchanged, when its version
// is newer than this build understands.
Status MigrateRegistrySchema(SqliteDb& db);

}  // namespace conveyor
