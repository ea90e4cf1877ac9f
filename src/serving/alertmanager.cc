#include "serving/alertmanager.h"

#include <fmt/format.h>

namespace conveyor::serving {

namespace {

using Json = nlohmann::json;

// `object[key]` as a string: kInvalid naming `where.key` when it is absent
// (unless `optional`) or not a string.
Result<std::string> StringField(const Json& object, const std::string& key,
                                const std::string& where, bool optional = false) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (optional)
      return std::string();
    return Error(Code::kInvalid, "{}{}: missing", where, key);
  }
  if (!it->is_string())
    return Error(Code::kInvalid, "{}{}: expected a string, got {}", where, key, it->type_name());
  return it->get<std::string>();
}

Result<Alert> ParseAlert(const Json& value, size_t index) {
  const std::string where = fmt::format("alerts[{}].", index);
  if (!value.is_object())
    return Error(Code::kInvalid, "alerts[{}]: expected an object", index);
  Alert alert;
  ASSIGN_OR_RETURN(std::string status, StringField(value, "status", where));
  if (status != "firing" && status != "resolved") {
    return Error(Code::kInvalid, "{}status: '{}' is neither firing nor resolved", where,
                 status.substr(0, 32));
  }
  alert.firing = status == "firing";
  auto labels = value.find("labels");
  if (labels == value.end() || !labels->is_object())
    return Error(Code::kInvalid, "{}labels: expected an object", where);
  for (const auto& [key, label] : labels->items()) {
    if (!label.is_string())
      return Error(Code::kInvalid, "{}labels.{}: expected a string", where, key.substr(0, 64));
    alert.labels[key] = label.get<std::string>();
  }
  auto name = alert.labels.find("alertname");
  if (name == alert.labels.end() || name->second.empty())
    return Error(Code::kInvalid, "{}labels.alertname: missing", where);
  alert.name = name->second;
  ASSIGN_OR_RETURN(alert.starts_at, StringField(value, "startsAt", where));
  ASSIGN_OR_RETURN(alert.fingerprint, StringField(value, "fingerprint", where, true));
  if (auto annotations = value.find("annotations");
      annotations != value.end() && annotations->is_object()) {
    auto summary = annotations->find("summary");
    if (summary != annotations->end() && summary->is_string())
      alert.summary = summary->get<std::string>();
  }
  return alert;
}

}  // namespace

Result<AlertmanagerPayload> ParseAlertmanagerPayload(std::string_view body) {
  Json json = Json::parse(body, nullptr, false);
  if (json.is_discarded())
    return Error(Code::kInvalid, "the body is not JSON");
  return ParseAlertmanagerJson(json);
}

Result<AlertmanagerPayload> ParseAlertmanagerJson(const Json& json) {
  if (!json.is_object())
    return Error(Code::kInvalid, "expected a JSON object (Alertmanager's webhook payload)");
  ASSIGN_OR_RETURN(std::string version, StringField(json, "version", ""));
  if (version != "4") {
    return Error(Code::kInvalid, "version: '{}' is not Alertmanager's webhook version 4",
                 version.substr(0, 16));
  }
  AlertmanagerPayload payload;
  ASSIGN_OR_RETURN(payload.receiver, StringField(json, "receiver", "", true));
  ASSIGN_OR_RETURN(payload.group_key, StringField(json, "groupKey", "", true));
  auto alerts = json.find("alerts");
  if (alerts == json.end() || !alerts->is_array())
    return Error(Code::kInvalid, "alerts: expected an array");
  if (alerts->size() > kMaxAlertsPerPayload) {
    return Error(Code::kInvalid, "alerts: {} alerts, more than the {} accepted at once",
                 alerts->size(), kMaxAlertsPerPayload);
  }
  for (size_t i = 0; i < alerts->size(); ++i) {
    ASSIGN_OR_RETURN(Alert alert, ParseAlert((*alerts)[i], i));
    payload.alerts.push_back(std::move(alert));
  }
  return payload;
}

}  // namespace conveyor::serving
