// The paper's endpoints and the Kubernetes probes, as handlers on a Router:
//
//   POST /predict               multipart `file` part, JSON or CSV body -> the class
//   GET  /get_experiment_metas  the registry's ExperimentMeta list (experiment_metas.h)
//   POST /replace_ml_model      ?tag=TAG or {"tag": TAG}: hot swap to NAME@TAG
//   GET  /healthz               the process is alive
//   GET  /readyz                a model is loaded, checked and warm (else 503)
//
// Handlers hold no model state: each request takes one handle from the
// ModelManager, so a swap never disturbs a request in flight.
//
// Thread safety: handlers run concurrently on the server's threads. The
// metadata store is used under a mutex (one store per thread is the
// RegistryStore rule); model loading goes through the manager, which
// serialises replaces.
#pragma once

#include <mutex>
#include <string>

#include "common/status.h"
#include "registry/registry_store.h"
#include "serving/model_input.h"
#include "serving/model_manager.h"
#include "serving/prediction_observer.h"
#include "serving/router.h"

namespace conveyor::serving {

class ModelService {
 public:
  // `model_name` is the registry model that `/replace_ml_model?tag=` picks
  // versions of. `manager` and `metas_store` must outlive the service, and
  // `metas_store` must not be used by anyone else. `predictions` (optional,
  // must outlive the service) is told of every successful /predict.
  ModelService(ModelManager& manager, RegistryStore& metas_store, std::string model_name,
               const InputLimits& limits = {}, PredictionObserver* predictions = nullptr);

  // Registers the five routes.
  Status AddRoutes(Router& router);

  HttpResponse Predict(const HttpRequest& request) const;
  HttpResponse ExperimentMetas(const HttpRequest& request);
  HttpResponse ReplaceModel(const HttpRequest& request);
  HttpResponse Health(const HttpRequest& request) const;
  HttpResponse Ready(const HttpRequest& request) const;

 private:
  // Constant after construction.
  ModelManager& manager_;
  const std::string model_name_;
  const InputLimits limits_;
  PredictionObserver* const predictions_;

  std::mutex store_mu_;
  RegistryStore& metas_store_;  // guarded by store_mu_
};

// The HTTP status for an error Status from the registry or the manager:
// kNotFound 404, kInvalid 422, kUnavailable 503, others 500.
int HttpStatusForCode(Code code);

}  // namespace conveyor::serving
