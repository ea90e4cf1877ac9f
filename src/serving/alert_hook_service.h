// POST /hooks/alertmanager: Alertmanager's webhook receiver
// (alertmanager.h), handing firing alerts to the RetrainTrigger.
//
// Answers 200 for every valid payload, whether it started a run or not —
// {"started": true|false, "run": 3|null, "alert": "…"|null, "reason": "…",
// "log": "…"|null} — since Alertmanager retries on any other status. A body
// that is not JSON is a 400 `invalid_json`; a payload that is not a valid
// version-4 webhook payload a 422 `invalid_alert` naming the field.
//
// Thread safety: Handle may run on any number of threads at once.
#pragma once

#include "common/status.h"
#include "serving/http_types.h"
#include "serving/retrain_trigger.h"
#include "serving/router.h"

namespace conveyor::serving {

class AlertHookService {
 public:
  // `trigger` must outlive the service.
  explicit AlertHookService(RetrainTrigger& trigger) : trigger_(trigger) {}

  // Registers POST /hooks/alertmanager (route name "alertmanager_hook").
  Status AddRoutes(Router& router);

  HttpResponse Handle(const HttpRequest& request);

 private:
  RetrainTrigger& trigger_;
};

}  // namespace conveyor::serving
