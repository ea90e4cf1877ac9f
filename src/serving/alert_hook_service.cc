#include "serving/alert_hook_service.h"

#include <nlohmann/json.hpp>

namespace conveyor::serving {

Status AlertHookService::AddRoutes(Router& router) {
  return router.Add("POST", "/hooks/alertmanager", "alertmanager_hook",
                    [this](HttpRequest& r) { return Handle(r); });
}

HttpResponse AlertHookService::Handle(const HttpRequest& request) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded())
    return JsonError(400, "invalid_json", "the body is not JSON");
  Result<AlertmanagerPayload> payload = ParseAlertmanagerJson(body);
  if (!payload.ok())
    return JsonError(422, "invalid_alert", payload.status().message());
  RetrainOutcome outcome = trigger_.OnAlerts(*payload);
  nlohmann::json answer;
  answer["started"] = outcome.run > 0;
  answer["run"] = outcome.run > 0 ? nlohmann::json(outcome.run) : nlohmann::json(nullptr);
  answer["alert"] = outcome.decision.alert.empty() ? nlohmann::json(nullptr)
                                                   : nlohmann::json(outcome.decision.alert);
  answer["reason"] = outcome.decision.reason;
  answer["log"] = outcome.run > 0 ? nlohmann::json(outcome.log.string()) : nlohmann::json(nullptr);
  return JsonResponse(answer.dump());
}

}  // namespace conveyor::serving
