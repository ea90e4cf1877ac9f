// Test helper (header-only): an Alertmanager webhook payload (version 4)
// with one alert named `name` in `status` ("firing" or "resolved"), as
// Alertmanager posts it to conveyor's /hooks/alertmanager.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace conveyor::testing {

inline std::string AlertPayload(const std::string& name, const std::string& status) {
  return nlohmann::json{
      {"version", "4"},
      {"status", status},
      {"receiver", "conveyor"},
      {"groupKey", "{}:{}"},
      {"alerts", nlohmann::json::array({nlohmann::json{{"status", status},
                                                       {"labels", {{"alertname", name}}},
                                                       {"annotations", nlohmann::json::object()},
                                                       {"startsAt", "2026-11-27T10:00:00Z"},
                                                       {"fingerprint", "0123456789abcdef"}}})}}
      .dump();
}

}  // namespace conveyor::testing
