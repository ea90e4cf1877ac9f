#include "serving/alertmanager.h"

#include <gtest/gtest.h>

namespace conveyor::serving {
namespace {

// A payload as Alertmanager 0.25 sends it (fields it adds over time too).
constexpr const char* kFiring = R"({
  "receiver": "conveyor", "status": "firing", "version": "4",
  "groupKey": "{}:{alertname=\"ConveyorPredictionDrift\"}", "truncatedAlerts": 0,
  "groupLabels": {"alertname": "ConveyorPredictionDrift"},
  "commonLabels": {"alertname": "ConveyorPredictionDrift", "severity": "warning"},
  "commonAnnotations": {}, "externalURL": "http://127.0.0.1:9093",
  "alerts": [
    {"status": "firing",
     "labels": {"alertname": "ConveyorPredictionDrift", "model": "digits"},
     "annotations": {"summary": "digits predictions drift"},
     "startsAt": "2026-11-27T10:00:00.000Z", "endsAt": "0001-01-01T00:00:00Z",
     "generatorURL": "http://prometheus/graph", "fingerprint": "a1b2c3d4e5f60718"},
    {"status": "resolved", "labels": {"alertname": "ConveyorLiveAccuracyLow"},
     "annotations": {}, "startsAt": "2026-11-27T09:00:00Z",
     "endsAt": "2026-11-27T09:30:00Z", "fingerprint": "0718a1b2c3d4e5f6", "new_field": 1}
  ]})";

TEST(AlertmanagerPayloadTest, ParsesWhatDecisionsRestOn) {
  Result<AlertmanagerPayload> payload = ParseAlertmanagerPayload(kFiring);
  ASSERT_TRUE(payload.ok()) << payload.status().message();
  EXPECT_EQ(payload->receiver, "conveyor");
  ASSERT_EQ(payload->alerts.size(), 2u);
  const Alert& drift = payload->alerts[0];
  EXPECT_TRUE(drift.firing);
  EXPECT_EQ(drift.name, "ConveyorPredictionDrift");
  EXPECT_EQ(drift.labels.at("model"), "digits");
  EXPECT_EQ(drift.summary, "digits predictions drift");
  EXPECT_EQ(drift.fingerprint, "a1b2c3d4e5f60718");
  EXPECT_FALSE(payload->alerts[1].firing);
  EXPECT_EQ(payload->alerts[1].name, "ConveyorLiveAccuracyLow");
}

TEST(AlertmanagerPayloadTest, NamesTheFieldAtFault) {
  struct Row {
    const char* body;
    const char* says;
  };
  for (const Row& row : std::initializer_list<Row>{
           {"{", "the body is not JSON"},
           {"[]", "expected a JSON object"},
           {R"({"alerts": []})", "version: missing"},
           {R"({"version": 4, "alerts": []})", "version: expected a string, got number"},
           {R"({"version": "3", "alerts": []})",
            "version: '3' is not Alertmanager's webhook version 4"},
           {R"({"version": "4"})", "alerts: expected an array"},
           {R"({"version": "4", "alerts": [1]})", "alerts[0]: expected an object"},
           {R"({"version": "4", "alerts": [{"labels": {}}]})", "alerts[0].status: missing"},
           {R"({"version": "4", "alerts": [{"status": "pending", "labels": {}}]})",
            "alerts[0].status: 'pending' is neither firing nor resolved"},
           {R"({"version": "4", "alerts": [{"status": "firing"}]})",
            "alerts[0].labels: expected an object"},
           {R"({"version": "4", "alerts": [{"status": "firing", "labels": {"a": 1}}]})",
            "alerts[0].labels.a: expected a string"},
           {R"({"version": "4", "alerts": [{"status": "firing", "labels": {}}]})",
            "alerts[0].labels.alertname: missing"},
           {R"({"version": "4", "alerts": [{"status": "firing", "labels": {"alertname": "X"}}]})",
            "alerts[0].startsAt: missing"},
           {R"({"version": "4", "receiver": 7, "alerts": []})", "receiver: expected a string"},
       }) {
    Result<AlertmanagerPayload> payload = ParseAlertmanagerPayload(row.body);
    ASSERT_FALSE(payload.ok()) << row.body;
    EXPECT_EQ(payload.status().code(), Code::kInvalid);
    EXPECT_NE(payload.status().message().find(row.says), std::string::npos)
        << row.body << " -> " << payload.status().message();
  }
  std::string many = R"({"version": "4", "alerts": [)";
  for (int i = 0; i <= 1000; ++i)
    many += std::string(i ? "," : "") + "{}";
  EXPECT_NE(ParseAlertmanagerPayload(many + "]}")
                .status()
                .message()
                .find("1001 alerts, more than the 1000 accepted at once"),
            std::string::npos);
}

}  // namespace
}  // namespace conveyor::serving
