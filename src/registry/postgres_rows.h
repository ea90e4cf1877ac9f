// How registry records map to PostgreSQL rows and parameters: the SELECT
// column lists the PostgreSQL store reads, the decoders for their results,
// and the text forms of parameters. Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "registry/pg_connection.h"
#include "registry/registry_store.h"

namespace conveyor {

// Append "WHERE …" / "ORDER BY …" to these.
inline constexpr std::string_view kPgExperimentColumns =
    "SELECT id, tag, named, commit_sha, branch, author, dirty, status, started_at_ms, "
    "finished_at_ms, params, metrics, message FROM experiments ";
inline constexpr std::string_view kPgLineageColumns =
    "SELECT experiment_id, stage, role, path, md5, size, nfiles FROM experiment_lineage ";
// The aliases of each version come as a json array, sorted.
inline constexpr std::string_view kPgVersionColumns =
    "SELECT v.model, v.version, v.experiment_id, e.tag, v.path, v.md5, v.spec_path, "
    "v.description, v.created_by, v.created_at_ms, "
    "(SELECT json_agg(a.alias ORDER BY a.alias) FROM model_aliases a "
    " WHERE a.model = v.model AND a.version = v.version) "
    "FROM model_versions v LEFT JOIN experiments e ON e.id = v.experiment_id ";
inline constexpr std::string_view kPgAliasEventColumns =
    "SELECT model, alias, version, previous_version, actor, reason, at_ms FROM alias_events ";

// Rows of kPgExperimentColumns, lineage left empty. kIo naming `where` and
// the experiment when stored params or metrics are not JSON.
Result<std::vector<ExperimentRecord>> DecodeExperiments(const PgResult& rows,
                                                        std::string_view where);
// Appends rows of kPgLineageColumns (ordered by position) to the lineage of
// their experiments in `records`; rows of other experiments are ignored.
void AttachLineage(const PgResult& rows, std::vector<ExperimentRecord>& records);
std::vector<ModelVersion> DecodeVersions(const PgResult& rows);
std::vector<AliasEvent> DecodeAliasEvents(const PgResult& rows);

// Parameter text: "42", "true"/"false", "{1,2,3}" (a bigint[]).
std::string PgInt(int64_t value);
std::string PgBool(bool value);
std::string PgIntArray(const std::vector<int64_t>& values);
// `lineage` as a json array of {stage, role, path, md5, size, nfiles}, for
// json_to_recordset. kInvalid when a string is not valid UTF-8.
Result<std::string> PgLineageJson(const std::vector<LineageEntry>& lineage);

}  // namespace conveyor
