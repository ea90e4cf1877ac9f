#include "registry/postgres_rows.h"

#include <map>
#include <nlohmann/json.hpp>

namespace conveyor {

using Json = nlohmann::ordered_json;

Result<std::vector<ExperimentRecord>> DecodeExperiments(const PgResult& rows,
                                                        std::string_view where) {
  std::vector<ExperimentRecord> records;
  for (int i = 0; i < rows.rows(); ++i) {
    ExperimentRecord r;
    r.id = rows.Int(i, 0);
    r.tag = rows.Text(i, 1);
    r.named = rows.Bool(i, 2);
    r.commit = rows.Text(i, 3);
    r.branch = rows.Text(i, 4);
    r.author = rows.Text(i, 5);
    r.dirty = rows.Bool(i, 6);
    r.status =
        rows.Text(i, 7) == "failed" ? ExperimentStatus::kFailed : ExperimentStatus::kSucceeded;
    r.started_at_ms = rows.Int(i, 8);
    r.finished_at_ms = rows.Int(i, 9);
    // Parsed into ordered_json: keys stay in the order they were written.
    r.params = Json::parse(rows.Text(i, 10), nullptr, /*allow_exceptions=*/false);
    r.metrics = Json::parse(rows.Text(i, 11), nullptr, /*allow_exceptions=*/false);
    if (r.params.is_discarded() || r.metrics.is_discarded())
      return Error(Code::kIo, "{}: experiment #{} has corrupt params or metrics", where, r.id);
    r.message = rows.Text(i, 12);
    records.push_back(std::move(r));
  }
  return records;
}

void AttachLineage(const PgResult& rows, std::vector<ExperimentRecord>& records) {
  std::map<int64_t, ExperimentRecord*> by_id;
  for (ExperimentRecord& record : records)
    by_id[record.id] = &record;
  for (int i = 0; i < rows.rows(); ++i) {
    auto it = by_id.find(rows.Int(i, 0));
    if (it == by_id.end())
      continue;
    it->second->lineage.push_back(LineageEntry{rows.Text(i, 1), rows.Text(i, 2), rows.Text(i, 3),
                                               rows.Text(i, 4), rows.Int(i, 5), rows.Int(i, 6)});
  }
}

std::vector<ModelVersion> DecodeVersions(const PgResult& rows) {
  std::vector<ModelVersion> versions;
  for (int i = 0; i < rows.rows(); ++i) {
    ModelVersion v{.model = rows.Text(i, 0), .version = static_cast<int>(rows.Int(i, 1))};
    if (!rows.IsNull(i, 2))
      v.experiment_id = rows.Int(i, 2);
    v.experiment_tag = rows.Text(i, 3);
    v.path = rows.Text(i, 4);
    v.md5 = rows.Text(i, 5);
    v.spec_path = rows.Text(i, 6);
    v.description = rows.Text(i, 7);
    v.created_by = rows.Text(i, 8);
    v.created_at_ms = rows.Int(i, 9);
    if (!rows.IsNull(i, 10)) {
      Json aliases = Json::parse(rows.Text(i, 10), nullptr, /*allow_exceptions=*/false);
      if (aliases.is_array()) {
        for (const Json& alias : aliases) {
          if (alias.is_string())
            v.aliases.push_back(alias.get<std::string>());
        }
      }
    }
    versions.push_back(std::move(v));
  }
  return versions;
}

std::vector<AliasEvent> DecodeAliasEvents(const PgResult& rows) {
  std::vector<AliasEvent> events;
  events.reserve(static_cast<size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    events.push_back(AliasEvent{rows.Text(i, 0), rows.Text(i, 1), static_cast<int>(rows.Int(i, 2)),
                                static_cast<int>(rows.Int(i, 3)), rows.Text(i, 4), rows.Text(i, 5),
                                rows.Int(i, 6)});
  }
  return events;
}

std::string PgInt(int64_t value) { return std::to_string(value); }

std::string PgBool(bool value) { return value ? "true" : "false"; }

std::string PgIntArray(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i)
    out += (i > 0 ? "," : "") + std::to_string(values[i]);
  return out + "}";
}

Result<std::string> PgLineageJson(const std::vector<LineageEntry>& lineage) {
  Json rows = Json::array();
  for (const LineageEntry& entry : lineage) {
    rows.push_back({{"stage", entry.stage},
                    {"role", entry.role},
                    {"path", entry.path},
                    {"md5", entry.md5},
                    {"size", entry.size},
                    {"nfiles", entry.nfiles}});
  }
  try {
    return rows.dump();
  } catch (const nlohmann::json::exception& e) {
    return Error(Code::kInvalid, "lineage cannot be stored: {}", e.what());
  }
}

}  // namespace conveyor
