// The PostgreSQL registry schema, its version and its migrations.
//
// Version 1 (current; oldest supported: an empty database, version 0):
//   conveyor_schema_version(version)       one row: the schema's version
//   experiments(id, tag UNIQUE, named, commit_sha, branch, author, dirty,
//               status, started_at_ms, finished_at_ms, params json,
//               metrics json, message)
//       params and metrics are `json`, not `jsonb`: PostgreSQL keeps json
//       text as written, so key order and number spelling survive.
//   experiment_lineage(experiment_id → experiments ON DELETE CASCADE,
//               position, stage, role, path, md5, size, nfiles)
//   models(name PRIMARY KEY, last_version)  the row writers lock to number
//       versions
//   model_versions(model, version, experiment_id → experiments ON DELETE
//               SET NULL, path, md5, spec_path, description, created_by,
//               created_at_ms)
//   model_aliases(model, alias, version → model_versions)
//   alias_events(id, model, alias, version, previous_version, actor,
//               reason, at_ms)                 version 0: removed
// Names (tags, models, aliases) are COLLATE "C": byte order, as SQLite.
// Times are Unix milliseconds (bigint).
//
// Tables live in the connection's search_path (normally `public`); to keep
// the registry in its own schema, add `?options=-csearch_path%3Dconveyor`
// to the URL.
#pragma once

#include "common/status.h"
#include "registry/pg_connection.h"

namespace conveyor {

inline constexpr int kPostgresSchemaVersion = 1;

// Brings the database `conn` is connected to up to kPostgresSchemaVersion,
// in one transaction under an advisory lock, so concurrent openers wait for
// one migration instead of racing. kConflict, naming the database and both
// versions and changing nothing, when its schema is newer than ours.
Status MigratePostgresSchema(PgConnection& conn);

}  // namespace conveyor
