// The JSON forms of registry records, shared by `--json` output and the
// server's /get_experiment_metas (the paper's `ExperimentMeta`). Field names
// are part of our public interface: add fields, never rename them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "registry/registry_store.h"

namespace conveyor {

// "2026-11-27T03:40:55.123Z" (UTC, milliseconds).
std::string FormatTimestampMs(int64_t unix_ms);
// "2026-11-27 03:40:55" (UTC, seconds): the form tables show.
std::string FormatTimestampShort(int64_t unix_ms);

// {"id", "tag", "name"?, "commit", "branch", "author", "dirty", "status",
//  "created_at", "started_at", "finished_at", "duration_seconds", "params",
//  "metrics", "lineage": [{"stage", "role", "path", "md5", "size", "nfiles"}],
//  "message"}. `created_at` is the start of the run.
nlohmann::ordered_json ExperimentToJson(const ExperimentRecord& record);

// {"model", "version", "experiment_id", "experiment_tag", "path", "md5",
//  "spec_path", "description", "created_by", "created_at", "aliases"}.
nlohmann::ordered_json ModelVersionToJson(const ModelVersion& version);

// {"model", "alias", "version", "previous_version", "actor", "reason", "at"}.
nlohmann::ordered_json AliasEventToJson(const AliasEvent& event);

}  // namespace conveyor
