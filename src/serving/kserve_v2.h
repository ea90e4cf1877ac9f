// The Open Inference Protocol (KServe V2) over REST, so clients written for
// KServe or Triton work unchanged:
//
//   GET  /v2                         server metadata {name, version, extensions}
//   GET  /v2/health/live             200 while the process runs
//   GET  /v2/health/ready            200 when a model is loaded and warm, else 503
//   GET  /v2/models/{name}           model metadata: versions, platform, inputs, outputs
//   GET  /v2/models/{name}/ready     200 when {name} is the model being served
//   POST /v2/models/{name}/infer     JSON tensors in, JSON tensors out
//
// Inference request: {"id"?, "inputs": [{"name", "shape": [N, H*W] or
// [N, H, W] or [H*W], "datatype": "FP32"|"FP64"|"UINT8"|"INT32"|"INT64",
// "data": [...] flat or nested}], "outputs"?: [{"name"}]}. The input holds
// raw pixel values (0..255) as the model spec's sample input does; the
// spec's preprocessing is applied as for /predict.
// Response: {"model_name", "model_version", "id"?, "outputs": [
//   {"name": "probabilities", "shape": [N, C], "datatype": "FP32", "data"},
//   {"name": "class", "shape": [N], "datatype": "INT64", "data"},
//   {"name": "label", "shape": [N], "datatype": "BYTES", "data"}]},
// restricted to the requested outputs when "outputs" is given.
// Errors use the protocol's form: {"error": "<message>"} with 400 (bad
// request), 404 (unknown model) or 503 (not ready).
//
// Thread safety: as ModelService (one manager handle per request).
#pragma once

#include <string>

#include "common/status.h"
#include "serving/model_input.h"
#include "serving/model_manager.h"
#include "serving/prediction_observer.h"
#include "serving/router.h"

namespace conveyor::serving {

class KserveV2 {
 public:
  // `manager` must outlive this object. `server_version` is what GET /v2
  // reports. `predictions` (optional, must outlive this object) is told of
  // every successful infer.
  KserveV2(ModelManager& manager, std::string server_version, const InputLimits& limits = {},
           PredictionObserver* predictions = nullptr);

  Status AddRoutes(Router& router);

  HttpResponse ServerMetadata(const HttpRequest& request) const;
  HttpResponse Live(const HttpRequest& request) const;
  HttpResponse ServerReady(const HttpRequest& request) const;
  HttpResponse ModelMetadata(const HttpRequest& request) const;
  HttpResponse ModelReady(const HttpRequest& request) const;
  HttpResponse Infer(const HttpRequest& request) const;

 private:
  // Constant after construction.
  ModelManager& manager_;
  const std::string server_version_;
  const InputLimits limits_;
  PredictionObserver* const predictions_;
};

// {"error": "<message>"} with `status`: the protocol's error shape. Its
// error_kind is that of the service's errors for the same case: 400
// "invalid_input", 404 "not_found", 503 "not_ready", 500 "prediction_failed".
HttpResponse V2Error(int status, std::string_view message);

}  // namespace conveyor::serving
