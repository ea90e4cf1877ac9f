// The route table of `conveyor serve`, registered in one place: the
// command calls it, and access_control_test checks that the access policy
// has an entry for every route it registers.
#pragma once

#include <string>

#include "common/status.h"
#include "serving/alert_hook_service.h"
#include "serving/feedback_service.h"
#include "serving/kserve_v2.h"
#include "serving/metrics.h"
#include "serving/model_service.h"
#include "serving/router.h"

namespace conveyor::serving {

struct ServeRouteParts {
  ModelService& service;              // /predict, /get_experiment_metas, /replace_ml_model, probes
  KserveV2& v2;                       // /v2...
  std::string openapi_json;           // served at /openapi.json (and /docs)
  ServingMetrics* metrics = nullptr;  // GET /metrics; null for none
  FeedbackService* feedback = nullptr;     // POST /feedback; null for none
  AlertHookService* alert_hook = nullptr;  // POST /hooks/alertmanager; null for none
};

// Adds every route of `conveyor serve` to `router`; the parts must outlive
// it.
Status AddServeRoutes(Router& router, ServeRouteParts parts);

}  // namespace conveyor::serving
