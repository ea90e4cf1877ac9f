#include "registry/registry_json.h"

#include <fmt/core.h>

#include "common/utc_time.h"

namespace conveyor {

using Json = nlohmann::ordered_json;

std::string FormatTimestampMs(int64_t unix_ms) { return FormatUtcMillis(unix_ms); }

std::string FormatTimestampShort(int64_t unix_ms) {
  std::string stamp = FormatTimestampMs(unix_ms);
  stamp[10] = ' ';
  return stamp.substr(0, 19);
}

namespace {

Json OrNull(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

}  // namespace

Json ExperimentToJson(const ExperimentRecord& record) {
  Json json;
  json["id"] = record.id;
  json["tag"] = record.tag;
  json["named"] = record.named;
  json["commit"] = OrNull(record.commit);
  json["branch"] = OrNull(record.branch);
  json["author"] = OrNull(record.author);
  json["dirty"] = record.dirty;
  json["status"] = std::string(ExperimentStatusName(record.status));
  json["created_at"] = FormatTimestampMs(record.started_at_ms);
  json["started_at"] = FormatTimestampMs(record.started_at_ms);
  json["finished_at"] = FormatTimestampMs(record.finished_at_ms);
  json["duration_seconds"] =
      static_cast<double>(record.finished_at_ms - record.started_at_ms) / 1000.0;
  json["params"] = record.params;
  json["metrics"] = record.metrics;
  Json lineage = Json::array();
  for (const LineageEntry& entry : record.lineage) {
    Json item;
    item["stage"] = entry.stage;
    item["role"] = entry.role;
    item["path"] = entry.path;
    item["md5"] = entry.md5;
    item["size"] = entry.size >= 0 ? Json(entry.size) : Json(nullptr);
    item["nfiles"] = entry.nfiles >= 0 ? Json(entry.nfiles) : Json(nullptr);
    lineage.push_back(std::move(item));
  }
  json["lineage"] = std::move(lineage);
  json["message"] = OrNull(record.message);
  return json;
}

Json ModelVersionToJson(const ModelVersion& version) {
  Json json;
  json["model"] = version.model;
  json["version"] = version.version;
  json["experiment_id"] = version.experiment_id ? Json(*version.experiment_id) : Json(nullptr);
  json["experiment_tag"] = OrNull(version.experiment_tag);
  json["path"] = version.path;
  json["md5"] = version.md5;
  json["spec_path"] = OrNull(version.spec_path);
  json["description"] = OrNull(version.description);
  json["created_by"] = OrNull(version.created_by);
  json["created_at"] = FormatTimestampMs(version.created_at_ms);
  json["aliases"] = version.aliases;
  return json;
}

Json AliasEventToJson(const AliasEvent& event) {
  Json json;
  json["model"] = event.model;
  json["alias"] = event.alias;
  json["version"] = event.version > 0 ? Json(event.version) : Json(nullptr);
  json["previous_version"] =
      event.previous_version > 0 ? Json(event.previous_version) : Json(nullptr);
  json["actor"] = OrNull(event.actor);
  json["reason"] = OrNull(event.reason);
  json["at"] = FormatTimestampMs(event.at_ms);
  return json;
}

}  // namespace conveyor
