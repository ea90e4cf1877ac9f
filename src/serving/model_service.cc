#include "serving/model_service.h"

#include <nlohmann/json.hpp>

#include "common/json_text.h"
#include "serving/experiment_metas.h"

namespace conveyor::serving {

namespace {

using Json = nlohmann::ordered_json;

Json IdentityJson(const ModelIdentity& identity) {
  Json json;
  json["name"] = identity.name;
  json["tag"] = identity.experiment_tag.empty() ? Json(nullptr) : Json(identity.experiment_tag);
  json["version"] = identity.version;
  return json;
}

// {"class":7,"label":"7","probabilities":[...] (no closing brace), written
// directly: this is every /predict answer, and a JSON document would cost
// more than the text.
void AppendPrediction(std::string& out, const Prediction& prediction) {
  out += "{\"class\":";
  AppendJsonNumber(out, int64_t{prediction.class_index});
  out += ",\"label\":";
  AppendJsonString(out, prediction.label);
  out += ",\"probabilities\":[";
  for (size_t i = 0; i < prediction.probabilities.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    AppendJsonNumber(out, prediction.probabilities[i]);
  }
  out += ']';
}

void AppendIdentity(std::string& out, const ModelIdentity& identity) {
  out += "{\"name\":";
  AppendJsonString(out, identity.name);
  out += ",\"tag\":";
  if (identity.experiment_tag.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, identity.experiment_tag);
  }
  out += ",\"version\":";
  AppendJsonNumber(out, int64_t{identity.version});
  out += '}';
}

HttpResponse ErrorFor(const Status& status, std::string_view code) {
  return JsonError(HttpStatusForCode(status.code()), code, status.message());
}

double Seconds(std::chrono::microseconds duration) {
  return static_cast<double>(duration.count()) / 1e6;
}

// The tag of a replace request: ?tag=, else a JSON body {"tag": "..."}.
Result<std::string> ReplaceTag(const HttpRequest& request) {
  if (auto tag = request.query.find("tag"); tag != request.query.end())
    return tag->second;
  if (request.body.empty()) {
    return Error(Code::kInvalid, "missing tag: give ?tag=TAG or a JSON body {{\"tag\": \"TAG\"}}");
  }
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object())
    return Error(Code::kInvalid, "request body: expected a JSON object {{\"tag\": \"TAG\"}}");
  if (!body.contains("tag") || !body["tag"].is_string())
    return Error(Code::kInvalid, "request body: 'tag' must be a string");
  return body["tag"].get<std::string>();
}

}  // namespace

int HttpStatusForCode(Code code) {
  switch (code) {
    case Code::kNotFound:
      return 404;
    case Code::kInvalid:
    case Code::kUsage:
      return 422;
    case Code::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

ModelService::ModelService(ModelManager& manager, RegistryStore& metas_store,
                           std::string model_name, const InputLimits& limits,
                           PredictionObserver* predictions)
    : manager_(manager),
      model_name_(std::move(model_name)),
      limits_(limits),
      predictions_(predictions),
      metas_store_(metas_store) {}

Status ModelService::AddRoutes(Router& router) {
  RETURN_IF_ERROR(
      router.Add("POST", "/predict", "predict", [this](HttpRequest& r) { return Predict(r); }));
  RETURN_IF_ERROR(router.Add("GET", "/get_experiment_metas", "experiment_metas",
                             [this](HttpRequest& r) { return ExperimentMetas(r); }));
  RETURN_IF_ERROR(router.Add("POST", "/replace_ml_model", "replace_ml_model",
                             [this](HttpRequest& r) { return ReplaceModel(r); }));
  RETURN_IF_ERROR(
      router.Add("GET", "/healthz", "healthz", [this](HttpRequest& r) { return Health(r); }));
  return router.Add("GET", "/readyz", "readyz", [this](HttpRequest& r) { return Ready(r); });
}

HttpResponse ModelService::Predict(const HttpRequest& request) const {
  std::shared_ptr<const ServedModel> model = manager_.Current();
  if (model == nullptr)
    return JsonError(503, "not_ready", "no model is loaded yet");
  InputResult input =
      DecodeModelInput(model->spec(), request.Header("content-type"), request.body, limits_);
  if (!input.ok()) {
    const InputError& error = input.error();
    return JsonError(HttpStatusFor(error.kind), InputErrorCode(error.kind), error.message);
  }
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<Prediction>> predictions = model->Predict(input.value());
  if (!predictions.ok())
    return ErrorFor(predictions.status(), "prediction_failed");
  if (predictions_ != nullptr)
    predictions_->OnPredictions(*model, input.value(), *predictions,
                                std::chrono::steady_clock::now() - start, request.request_id);
  std::string body;
  body.reserve(256 + predictions->size() * 192);
  if (predictions->size() == 1) {
    AppendPrediction(body, predictions->front());
  } else {
    body += "{\"predictions\":[";
    for (size_t i = 0; i < predictions->size(); ++i) {
      body += i > 0 ? "," : "";
      AppendPrediction(body, (*predictions)[i]);
      body += '}';
    }
    body += ']';
  }
  body += ",\"model\":";
  AppendIdentity(body, model->identity());
  body += ",\"request_id\":";
  AppendJsonString(body, request.request_id);
  body += '}';
  return JsonResponse(std::move(body));
}

HttpResponse ModelService::ExperimentMetas(const HttpRequest& request) {
  Result<MetasQuery> query = ParseMetasQuery(request.query);
  if (!query.ok())
    return JsonError(400, "invalid_query", query.status().message());
  std::lock_guard lock(store_mu_);
  Result<Json> metas = serving::ExperimentMetas(metas_store_, *query);
  if (!metas.ok())
    return ErrorFor(metas.status(), "registry_error");
  return JsonResponse(metas->dump());
}

HttpResponse ModelService::ReplaceModel(const HttpRequest& request) {
  Result<std::string> tag = ReplaceTag(request);
  if (!tag.ok())
    return JsonError(422, "invalid_request", tag.status().message());
  // Only registry references: no paths, no URLs, nothing but a tag.
  if (Status valid = ValidateExperimentTag(*tag); !valid.ok())
    return JsonError(422, "invalid_tag", valid.message());
  Result<SwapReport> report = manager_.Replace(model_name_ + "@" + *tag);
  if (!report.ok())
    return ErrorFor(report.status(), "replace_failed");
  Json json;
  json["replaced"] =
      report->old_model.name.empty() ? Json(nullptr) : IdentityJson(report->old_model);
  json["by"] = IdentityJson(report->new_model);
  json["load_seconds"] = Seconds(report->load_time);
  json["check_seconds"] = Seconds(report->check_time);
  json["warm_seconds"] = Seconds(report->warm_time);
  return JsonResponse(json.dump());
}

HttpResponse ModelService::Health(const HttpRequest&) const {
  return JsonResponse(R"({"status":"ok"})");
}

HttpResponse ModelService::Ready(const HttpRequest&) const {
  std::shared_ptr<const ServedModel> model = manager_.Current();
  if (model == nullptr || !manager_.ready())
    return JsonError(503, "not_ready", "no model is loaded and warm yet");
  Json json;
  json["status"] = "ready";
  json["model"] = IdentityJson(model->identity());
  return JsonResponse(json.dump());
}

}  // namespace conveyor::serving
