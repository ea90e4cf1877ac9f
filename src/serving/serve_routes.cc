#include "serving/serve_routes.h"

#include "serving/api_docs.h"

namespace conveyor::serving {

Status AddServeRoutes(Router& router, ServeRouteParts parts) {
  RETURN_IF_ERROR(parts.service.AddRoutes(router));
  RETURN_IF_ERROR(parts.v2.AddRoutes(router));
  RETURN_IF_ERROR(AddApiDocsRoutes(router, std::move(parts.openapi_json)));
  if (parts.metrics != nullptr)
    RETURN_IF_ERROR(parts.metrics->AddRoute(router));
  if (parts.feedback != nullptr)
    RETURN_IF_ERROR(parts.feedback->AddRoutes(router));
  if (parts.alert_hook != nullptr)
    RETURN_IF_ERROR(parts.alert_hook->AddRoutes(router));
  return OkStatus();
}

}  // namespace conveyor::serving
