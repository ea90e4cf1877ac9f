#include "serving/kserve_v2.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace conveyor::serving {

namespace {

using Json = nlohmann::ordered_json;

const std::set<std::string> kNumericTypes = {"FP32",   "FP64",  "UINT8", "INT32",  "INT64",
                                             "UINT16", "INT16", "INT8",  "UINT32", "FP16"};

// Appends every number of a flat or nested array to `out`.
bool Flatten(const Json& data, std::vector<float>& out) {
  if (data.is_number()) {
    out.push_back(data.get<float>());
    return true;
  }
  if (!data.is_array())
    return false;
  for (const Json& item : data) {
    if (!Flatten(item, out))
      return false;
  }
  return true;
}

// The model the path names, or the error response to send.
std::shared_ptr<const ServedModel> ModelFor(const ModelManager& manager, const HttpRequest& request,
                                            HttpResponse& error) {
  std::shared_ptr<const ServedModel> model = manager.Current();
  const std::string& name = request.path_params.at("name");
  if (model == nullptr) {
    error = V2Error(503, "no model is loaded yet");
    return nullptr;
  }
  if (name != model->identity().name) {
    error = V2Error(404, "unknown model '" + name + "' (serving '" + model->identity().name + "')");
    return nullptr;
  }
  return model;
}

Json Tensor(const std::string& name, const std::vector<int64_t>& shape, const std::string& type,
            Json data) {
  Json tensor;
  tensor["name"] = name;
  tensor["shape"] = shape;
  tensor["datatype"] = type;
  tensor["data"] = std::move(data);
  return tensor;
}

}  // namespace

HttpResponse V2Error(int status, std::string_view message) {
  Json body;
  body["error"] = message;
  HttpResponse response = JsonResponse(body.dump(), status);
  switch (status) {
    case 400:
      response.error_kind = "invalid_input";
      break;
    case 404:
      response.error_kind = "not_found";
      break;
    case 503:
      response.error_kind = "not_ready";
      break;
    default:
      response.error_kind = "prediction_failed";
  }
  return response;
}

KserveV2::KserveV2(ModelManager& manager, std::string server_version, const InputLimits& limits,
                   PredictionObserver* predictions)
    : manager_(manager),
      server_version_(std::move(server_version)),
      limits_(limits),
      predictions_(predictions) {}

Status KserveV2::AddRoutes(Router& router) {
  RETURN_IF_ERROR(
      router.Add("GET", "/v2", "v2_server", [this](HttpRequest& r) { return ServerMetadata(r); }));
  RETURN_IF_ERROR(
      router.Add("GET", "/v2/health/live", "v2_live", [this](HttpRequest& r) { return Live(r); }));
  RETURN_IF_ERROR(router.Add("GET", "/v2/health/ready", "v2_ready",
                             [this](HttpRequest& r) { return ServerReady(r); }));
  RETURN_IF_ERROR(router.Add("GET", "/v2/models/{name}", "v2_model",
                             [this](HttpRequest& r) { return ModelMetadata(r); }));
  RETURN_IF_ERROR(router.Add("GET", "/v2/models/{name}/ready", "v2_model_ready",
                             [this](HttpRequest& r) { return ModelReady(r); }));
  return router.Add("POST", "/v2/models/{name}/infer", "v2_infer",
                    [this](HttpRequest& r) { return Infer(r); });
}

HttpResponse KserveV2::ServerMetadata(const HttpRequest&) const {
  Json body;
  body["name"] = "conveyor";
  body["version"] = server_version_;
  body["extensions"] = Json::array();
  return JsonResponse(body.dump());
}

HttpResponse KserveV2::Live(const HttpRequest&) const { return JsonResponse(R"({"live":true})"); }

HttpResponse KserveV2::ServerReady(const HttpRequest&) const {
  if (manager_.Current() == nullptr || !manager_.ready())
    return V2Error(503, "no model is loaded and warm yet");
  return JsonResponse(R"({"ready":true})");
}

HttpResponse KserveV2::ModelMetadata(const HttpRequest& request) const {
  HttpResponse error;
  std::shared_ptr<const ServedModel> model = ModelFor(manager_, request, error);
  if (model == nullptr)
    return error;
  const ml::ModelSpec& spec = model->spec();
  const int64_t classes = static_cast<int64_t>(spec.labels.size());
  Json body;
  body["name"] = model->identity().name;
  body["versions"] = {std::to_string(model->identity().version)};
  body["platform"] = spec.backend;
  Json input;
  input["name"] = "pixels";
  input["datatype"] = "FP32";
  input["shape"] = {-1, spec.input.rows * spec.input.cols};
  body["inputs"] = Json::array({input});
  body["outputs"] = Json::array({Tensor("probabilities", {-1, classes}, "FP32", nullptr),
                                 Tensor("class", {-1}, "INT64", nullptr),
                                 Tensor("label", {-1}, "BYTES", nullptr)});
  for (Json& output : body["outputs"])
    output.erase("data");
  return JsonResponse(body.dump());
}

HttpResponse KserveV2::ModelReady(const HttpRequest& request) const {
  HttpResponse error;
  if (ModelFor(manager_, request, error) == nullptr)
    return error;
  return JsonResponse(R"({"ready":true})");
}

HttpResponse KserveV2::Infer(const HttpRequest& request) const {
  HttpResponse error;
  std::shared_ptr<const ServedModel> model = ModelFor(manager_, request, error);
  if (model == nullptr)
    return error;
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object())
    return V2Error(400, "request body: expected a JSON object with 'inputs'");
  if (!body.contains("inputs") || !body["inputs"].is_array() || body["inputs"].size() != 1)
    return V2Error(400, "'inputs' must be a list of exactly one tensor (the pixels)");
  const Json& input = body["inputs"][0];
  if (!input.is_object() || !input.contains("shape") || !input["shape"].is_array() ||
      !input.contains("datatype") || !input.contains("data")) {
    return V2Error(400, "inputs[0] must have 'name', 'shape', 'datatype' and 'data'");
  }
  std::string datatype = input["datatype"].is_string() ? input["datatype"].get<std::string>() : "";
  if (kNumericTypes.count(datatype) == 0)
    return V2Error(400, "inputs[0].datatype '" + datatype + "' is not a numeric tensor type");
  int64_t elements = 1;
  for (const Json& dim : input["shape"]) {
    if (!dim.is_number_integer() || dim.get<int64_t>() < 1 || dim.get<int64_t>() > (1 << 24))
      return V2Error(400, "inputs[0].shape must hold positive integers");
    elements *= dim.get<int64_t>();
    if (elements > (int64_t{1} << 26))
      return V2Error(400, "inputs[0] is too large");
  }
  std::vector<float> values;
  if (!Flatten(input["data"], values))
    return V2Error(400, "inputs[0].data must hold only numbers");
  if (static_cast<int64_t>(values.size()) != elements) {
    return V2Error(400, "inputs[0].data has " + std::to_string(values.size()) +
                            " values but its shape holds " + std::to_string(elements));
  }
  const ml::ModelSpec& spec = model->spec();
  const size_t row_size = static_cast<size_t>(spec.input.rows) * spec.input.cols;
  if (values.empty() || values.size() % row_size != 0) {
    return V2Error(400, "inputs[0] must hold rows of " + std::to_string(row_size) + " values (a " +
                            std::to_string(spec.input.rows) + "x" +
                            std::to_string(spec.input.cols) + " image each)");
  }
  const size_t rows = values.size() / row_size;
  if (rows > limits_.max_rows)
    return V2Error(400, "at most " + std::to_string(limits_.max_rows) + " rows per request");
  FeatureRows features;
  for (size_t r = 0; r < rows; ++r) {
    InputResult row =
        RawFeatures(spec, std::span<const float>(values).subspan(r * row_size, row_size));
    if (!row.ok())
      return V2Error(400, row.error().message);
    features.Append(row.value());
  }
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<Prediction>> predictions = model->Predict(features);
  if (!predictions.ok())
    return V2Error(500, predictions.status().message());
  if (predictions_ != nullptr)
    predictions_->OnPredictions(*model, features, *predictions,
                                std::chrono::steady_clock::now() - start, request.request_id);

  const int64_t n = static_cast<int64_t>(predictions->size());
  const int64_t classes = static_cast<int64_t>(spec.labels.size());
  Json probabilities = Json::array();
  Json classes_out = Json::array();
  Json labels = Json::array();
  for (const Prediction& prediction : *predictions) {
    for (float p : prediction.probabilities)
      probabilities.push_back(p);
    classes_out.push_back(prediction.class_index);
    labels.push_back(prediction.label);
  }
  std::set<std::string> wanted;
  if (body.contains("outputs") && body["outputs"].is_array()) {
    for (const Json& output : body["outputs"]) {
      if (output.is_object() && output.contains("name") && output["name"].is_string())
        wanted.insert(output["name"].get<std::string>());
    }
  }
  Json outputs = Json::array();
  auto add = [&](Json tensor) {
    if (wanted.empty() || wanted.count(tensor["name"].get<std::string>()) != 0)
      outputs.push_back(std::move(tensor));
  };
  add(Tensor("probabilities", {n, classes}, "FP32", std::move(probabilities)));
  add(Tensor("class", {n}, "INT64", std::move(classes_out)));
  add(Tensor("label", {n}, "BYTES", std::move(labels)));
  Json response;
  response["model_name"] = model->identity().name;
  response["model_version"] = std::to_string(model->identity().version);
  if (body.contains("id") && body["id"].is_string())
    response["id"] = body["id"];
  response["outputs"] = std::move(outputs);
  return JsonResponse(response.dump());
}

}  // namespace conveyor::serving
