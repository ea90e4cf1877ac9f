// The OpenAPI 3.0.3 description of `conveyor serve`: every route the model
// service (model_service.h), the Open Inference Protocol (kserve_v2.h), the
// documentation pages (api_docs.h) and the metrics (metrics.h) register, with their parameters,
// request bodies, response bodies and errors.
//
// The document is written by hand here rather than derived from the
// handlers, so it can carry prose and examples; openapi_test.cc keeps it
// honest: each route a real Router holds must be in `paths` with its method,
// every $ref must resolve, and the real handlers' output must match the
// schemas and examples.
//
// Errors come in two shapes, and the document says which a status uses:
//   #/components/schemas/Error    {"error": {"code", "message"}}  (our routes
//                                 and the transport: 400, 413, 431, 500, 503)
//   #/components/schemas/V2Error  {"error": "<message>"}  (the V2 handlers)
// A 405 for a known path with another method is not listed per operation
// (it answers operations that do not exist); info.description mentions it.
//
// Thread safety: a pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace conveyor::serving {

struct OpenApiOptions {
  // info.version: the conveyor release serving the API (CONVEYOR_VERSION).
  std::string server_version;
  // The model being served: the example value of {name} in the V2 paths and
  // the model name in example payloads. Empty: "model".
  std::string model_name;
  // Whether GET /metrics (metrics.h) is served and so documented: `conveyor
  // serve` says true unless --no-metrics.
  bool metrics = false;
  // Whether GET /metrics needs a token (serve --metrics-auth); the other
  // routes' security follows the default access policy (access_control.h).
  bool metrics_auth = false;
  // Whether POST /feedback is served (serve without --no-feedback).
  bool feedback = true;
  // Whether POST /hooks/alertmanager is served (serve --retrain-command).
  bool alert_hook = false;
};

// The whole document. Never fails; the result is the same for the same
// options.
nlohmann::ordered_json BuildOpenApiSpec(const OpenApiOptions& options);

}  // namespace conveyor::serving
