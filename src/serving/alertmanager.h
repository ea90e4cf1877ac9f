// Alertmanager's webhook payload (version 4), as its `webhook_config`
// receiver POSTs it:
//
//   {"version": "4", "groupKey": "…", "truncatedAlerts": 0, "status": "firing",
//    "receiver": "conveyor", "groupLabels": {…}, "commonLabels": {…},
//    "commonAnnotations": {…}, "externalURL": "http://…",
//    "alerts": [{"status": "firing", "labels": {"alertname": "…", …},
//                "annotations": {…}, "startsAt": "2026-…Z", "endsAt": "…",
//                "generatorURL": "…", "fingerprint": "…"}]}
//
// ParseAlertmanagerPayload checks what a decision rests on — the version,
// the alerts array, each alert's status, its labels (strings, with an
// alertname) and its startsAt — and names the first field at fault
// ("alerts[2].labels.alertname: missing"). Other fields are optional and
// unknown ones ignored, as Alertmanager adds fields over time.
//
// Thread safety: a pure function.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor::serving {

struct Alert {
  bool firing = false;  // status "firing"; false for "resolved"
  std::string name;     // labels.alertname
  std::map<std::string, std::string> labels;
  std::string starts_at;    // RFC 3339, as sent
  std::string fingerprint;  // may be empty
  std::string summary;      // annotations.summary, if any
};

struct AlertmanagerPayload {
  std::string receiver;
  std::string group_key;
  std::vector<Alert> alerts;
};

inline constexpr size_t kMaxAlertsPerPayload = 1000;

// kInvalid naming the field at fault.
Result<AlertmanagerPayload> ParseAlertmanagerJson(const nlohmann::json& json);
// The same from the body's text; kInvalid "the body is not JSON" too.
Result<AlertmanagerPayload> ParseAlertmanagerPayload(std::string_view body);

}  // namespace conveyor::serving
