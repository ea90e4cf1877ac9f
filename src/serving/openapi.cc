#include "serving/openapi.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

namespace conveyor::serving {

namespace {

using Json = nlohmann::ordered_json;

Json Ref(std::string_view schema) {
  return Json{{"$ref", "#/components/schemas/" + std::string(schema)}};
}

Json Type(std::string_view type, std::string_view description = {}) {
  Json schema{{"type", type}};
  if (!description.empty())
    schema["description"] = description;
  return schema;
}

Json Nullable(Json schema) {
  schema["nullable"] = true;
  return schema;
}

Json ArrayOf(Json items, std::string_view description = {}) {
  Json schema{{"type", "array"}, {"items", std::move(items)}};
  if (!description.empty())
    schema["description"] = description;
  return schema;
}

// An object schema whose properties are all required except `optional`.
Json Object(std::string_view description,
            const std::vector<std::pair<std::string, Json>>& properties,
            const std::set<std::string>& optional = {}) {
  Json schema{{"type", "object"}, {"description", description}};
  Json required = Json::array();
  schema["properties"] = Json::object();
  for (const auto& [name, property] : properties) {
    if (optional.count(name) == 0)
      required.push_back(name);
    schema["properties"][name] = property;
  }
  if (!required.empty())
    schema["required"] = std::move(required);
  return schema;
}

// --- Schemas ------------------------------------------------------------

const char* const kTagPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";

Json Schemas() {
  Json s = Json::object();
  // Both error shapes, as http_types.cc (JsonError) and kserve_v2.cc
  // (V2Error) write them.
  s["Error"] = Object(
      "Every error of conveyor's own routes and of the HTTP transport.",
      {{"error", Object("", {{"code", Type("string",
                                           "A short snake_case word a client can branch on: "
                                           "bad_request, not_found, payload_too_large, "
                                           "header_too_large, unsupported_media_type, "
                                           "invalid_input, invalid_query, invalid_request, "
                                           "invalid_tag, not_ready, prediction_failed, "
                                           "replace_failed, registry_error, invalid_json, "
                                           "invalid_feedback, invalid_alert, "
                                           "service_unavailable, internal.")},
                             {"message", Type("string", "What went wrong, for people.")}})}});
  s["Error"]["properties"]["error"].erase("description");
  s["V2Error"] = Object("The Open Inference Protocol's error shape, used by the /v2 handlers.",
                        {{"error", Type("string")}});

  s["ModelIdentity"] =
      Object("Which registered model version answered.",
             {{"name", Type("string", "The registry model name.")},
              {"tag", Nullable(Type("string",
                                    "The experiment that produced the version; null for a "
                                    "version registered by hand."))},
              {"version", Type("integer", "The registry version (1, 2, ...).")}});
  s["ClassScores"] = Object(
      "The prediction for one input row.",
      {{"class", Type("integer", "Index of the predicted label in the model's label list.")},
       {"label", Type("string", "The predicted label.")},
       {"probabilities",
        ArrayOf(Type("number"), "One probability per label, in label order; they sum to 1.")}});
  s["Prediction"] = Object(
      "The answer for a request holding one input (an image, one features row, one CSV line).",
      {{"class", Type("integer", "Index of the predicted label in the model's label list.")},
       {"label", Type("string", "The predicted label.")},
       {"probabilities", ArrayOf(Type("number"), "One probability per label, in label order.")},
       {"model", Ref("ModelIdentity")},
       {"request_id", Type("string", "The request's id (X-Request-Id).")}});
  s["BatchPrediction"] =
      Object("The answer for a request holding several rows (instances, CSV lines).",
             {{"predictions", ArrayOf(Ref("ClassScores"), "One entry per row, in order.")},
              {"model", Ref("ModelIdentity")},
              {"request_id", Type("string", "The request's id (X-Request-Id).")}});

  s["FeaturesInput"] = Object(
      "One row of raw input values: for an image model, height*width pixel values (0..255), "
      "row-major, as model.yaml's sample_input. The model's preprocessing is applied.",
      {{"features", ArrayOf(Type("number"))}});
  s["InstancesInput"] = Object("Several rows of raw input values (at most 1024).",
                               {{"instances", ArrayOf(ArrayOf(Type("number")))}});
  s["InstancesInput"]["properties"]["instances"]["minItems"] = 1;
  s["InstancesInput"]["properties"]["instances"]["maxItems"] = 1024;
  s["ImageBase64Input"] = Object("One image (PNG, JPEG, BMP or netpbm) in standard base64.",
                                 {{"image_base64", Json{{"type", "string"}, {"format", "byte"}}}});

  s["ReplaceRequest"] = Object("The experiment tag, alias or version to swap to.",
                               {{"tag", Json{{"type", "string"}, {"pattern", kTagPattern}}}});
  s["SwapReport"] = Object(
      "What a hot swap replaced by what, and how long each step took.",
      {{"replaced", Json{{"type", "object"},
                         {"allOf", Json::array({Ref("ModelIdentity")})},
                         {"nullable", true},
                         {"description", "The model served before; null when there was none."}}},
       {"by", Ref("ModelIdentity")},
       {"load_seconds", Type("number", "Materialising and loading the new model.")},
       {"check_seconds", Type("number", "Predicting the spec's sample input.")},
       {"warm_seconds", Type("number", "Warm-up predictions.")}});
  s["FeedbackItem"] = Object(
      "The true label of one earlier prediction.",
      {{"request_id", Type("string", "The request_id the prediction answered with.")},
       {"row", Type("integer", "The row of a batch request; 0 (the default) otherwise.")},
       {"label", Json{{"description", "One of the model's labels, as a string or an integer."},
                      {"oneOf", Json::array({Type("string"), Type("integer")})}}}});
  s["FeedbackItem"]["required"] = Json::array({"request_id", "label"});
  s["FeedbackResult"] =
      Object("How one feedback item joined.",
             {{"request_id", Type("string")},
              {"row", Type("integer")},
              {"outcome",
               Json{{"type", "string"},
                    {"enum", Json::array({"correct", "wrong", "unknown_request", "duplicate"})}}},
              {"predicted", Nullable(Type("string", "The label the model predicted."))},
              {"model_version", Nullable(Type("integer", "The version that predicted."))}});
  s["FeedbackAnswer"] =
      Object("The outcomes of a feedback body, counted and per item in order.",
             {{"accepted", Type("integer", "Items joined to a prediction (correct + wrong).")},
              {"correct", Type("integer")},
              {"wrong", Type("integer")},
              {"unknown_request",
               Type("integer", "Items naming a request not remembered (never seen, or too old).")},
              {"duplicate", Type("integer", "Items for a row that had feedback already.")},
              {"results", ArrayOf(Ref("FeedbackResult"))}});
  s["RetrainAnswer"] =
      Object("What an Alertmanager payload led to.",
             {{"started", Type("boolean", "Whether a retraining run started.")},
              {"run", Nullable(Type("integer", "The run's number, when one started."))},
              {"alert", Nullable(Type("string", "The firing alert that matched a rule."))},
              {"reason", Type("string", "Why, in one line, either way.")},
              {"log", Nullable(Type("string", "Where the run's output goes."))}});
  s["Health"] = Object("The process is up.",
                       {{"status", Json{{"type", "string"}, {"enum", Json::array({"ok"})}}}});
  s["Readiness"] = Object("A model is loaded, checked and warm.",
                          {{"status", Json{{"type", "string"}, {"enum", Json::array({"ready"})}}},
                           {"model", Ref("ModelIdentity")}});

  // experiment_metas.cc: registry_json.cc's experiment record plus `models`.
  Json file_values = Json{
      {"type", "object"},
      {"additionalProperties", Json{{"type", "object"}, {"additionalProperties", Json::object()}}}};
  s["LineageEntry"] =
      Object("One file a stage read or wrote, as dvc.lock recorded it.",
             {{"stage", Type("string")},
              {"role", Json{{"type", "string"}, {"enum", {"dep", "out"}}}},
              {"path", Type("string")},
              {"md5", Type("string")},
              {"size", Nullable(Type("integer", "Bytes; null when unknown."))},
              {"nfiles", Nullable(Type("integer", "Files in a directory; null for a file."))}});
  s["ExperimentModel"] = Object("A model version an experiment produced.",
                                {{"name", Type("string")},
                                 {"version", Type("integer")},
                                 {"aliases", ArrayOf(Type("string"), "e.g. production")}});
  Json stamp{{"type", "string"}, {"format", "date-time"}};
  s["ExperimentMeta"] =
      Object("One experiment of the registry (the paper's ExperimentMeta).",
             {{"id", Type("integer")},
              {"tag", Type("string", "Short commit SHA or the name given with -n.")},
              {"named", Type("boolean", "The tag was given by hand.")},
              {"commit", Nullable(Type("string", "40 hex digits; null outside Git."))},
              {"branch", Nullable(Type("string"))},
              {"author", Nullable(Type("string"))},
              {"dirty", Type("boolean", "The work tree differed from the commit.")},
              {"status", Json{{"type", "string"}, {"enum", {"succeeded", "failed"}}}},
              {"created_at", stamp},
              {"started_at", stamp},
              {"finished_at", stamp},
              {"duration_seconds", Type("number")},
              {"params", file_values},
              {"metrics", file_values},
              {"lineage", ArrayOf(Ref("LineageEntry"))},
              {"message", Nullable(Type("string", "The failing stage's error, or a note."))},
              {"models", ArrayOf(Ref("ExperimentModel"))}});
  s["ExperimentMeta"]["properties"]["params"]["description"] =
      "Parameter values used, per file, flattened to dotted keys.";
  s["ExperimentMeta"]["properties"]["metrics"]["description"] =
      "Metric values, per file, flattened to dotted keys.";

  // kserve_v2.cc.
  s["V2ServerMetadata"] =
      Object("The server's name and version.", {{"name", Type("string")},
                                                {"version", Type("string")},
                                                {"extensions", ArrayOf(Type("string"))}});
  s["V2Live"] = Object("Liveness.", {{"live", Type("boolean")}});
  s["V2Ready"] = Object("Readiness.", {{"ready", Type("boolean")}});
  s["V2TensorMetadata"] = Object("A tensor's name, type and shape (-1: any size).",
                                 {{"name", Type("string")},
                                  {"datatype", Type("string")},
                                  {"shape", ArrayOf(Type("integer"))}});
  s["V2ModelMetadata"] =
      Object("The served model's metadata.", {{"name", Type("string")},
                                              {"versions", ArrayOf(Type("string"))},
                                              {"platform", Type("string", "The model's backend.")},
                                              {"inputs", ArrayOf(Ref("V2TensorMetadata"))},
                                              {"outputs", ArrayOf(Ref("V2TensorMetadata"))}});
  s["V2TensorData"] = Json{{"description", "A number, or a (nested) list of numbers."},
                           {"oneOf", {Type("number"), ArrayOf(Ref("V2TensorData"))}}};
  s["V2RequestInput"] =
      Object("The one input tensor: raw pixel values (0..255), shape [N, H*W], [N, H, W] or [H*W].",
             {{"name", Type("string", "Any name; \"pixels\" by convention.")},
              {"shape", ArrayOf(Json{{"type", "integer"}, {"minimum", 1}})},
              {"datatype", Json{{"type", "string"},
                                {"enum",
                                 {"FP32", "FP64", "FP16", "UINT8", "UINT16", "UINT32", "INT8",
                                  "INT16", "INT32", "INT64"}}}},
              {"data", Ref("V2TensorData")}},
             {"name"});
  s["V2RequestedOutput"] = Object("An output to return.", {{"name", Type("string")}});
  s["V2InferenceRequest"] =
      Object("An inference request.",
             {{"id", Type("string", "Echoed in the response.")},
              {"inputs", ArrayOf(Ref("V2RequestInput"))},
              {"outputs",
               ArrayOf(Ref("V2RequestedOutput"), "The outputs to return (default: all three).")}},
             {"id", "outputs"});
  s["V2InferenceRequest"]["properties"]["inputs"]["minItems"] = 1;
  s["V2InferenceRequest"]["properties"]["inputs"]["maxItems"] = 1;
  s["V2OutputTensor"] = Object(
      "One output tensor: probabilities [N, C] FP32, class [N] INT64 or label [N] BYTES.",
      {{"name", Json{{"type", "string"}, {"enum", {"probabilities", "class", "label"}}}},
       {"shape", ArrayOf(Type("integer"))},
       {"datatype", Json{{"type", "string"}, {"enum", {"FP32", "INT64", "BYTES"}}}},
       {"data", ArrayOf(Json{{"oneOf", {Type("number"), Type("string")}}}, "Flat, row-major.")}});
  s["V2InferenceResponse"] = Object("The outputs of one inference.",
                                    {{"model_name", Type("string")},
                                     {"model_version", Type("string")},
                                     {"id", Type("string", "The request's id, when it had one.")},
                                     {"outputs", ArrayOf(Ref("V2OutputTensor"))}},
                                    {"id"});
  return s;
}

// --- Examples -------------------------------------------------------------

Json IdentityExample(const std::string& model) {
  return Json{{"name", model}, {"tag", "a1b2c3d"}, {"version", 1}};
}

Json ProbabilitiesExample() {
  return Json::array({0.01, 0.0, 0.02, 0.01, 0.0, 0.01, 0.0, 0.93, 0.01, 0.01});
}

Json PredictionExample(const std::string& model) {
  return Json{{"class", 7},
              {"label", "7"},
              {"probabilities", ProbabilitiesExample()},
              {"model", IdentityExample(model)},
              {"request_id", "4c1f0e2a9b7d3e51"}};
}

Json ExperimentMetaExample(const std::string& model) {
  Json meta{{"id", 1},
            {"tag", "a1b2c3d"},
            {"named", false},
            {"commit", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"},
            {"branch", "main"},
            {"author", "Ada <ada@example.org>"},
            {"dirty", false},
            {"status", "succeeded"},
            {"created_at", "2024-05-01T10:00:00.000Z"},
            {"started_at", "2024-05-01T10:00:00.000Z"},
            {"finished_at", "2024-05-01T10:00:12.500Z"},
            {"duration_seconds", 12.5},
            {"params", {{"params.yaml", {{"train.max_depth", 6}}}}},
            {"metrics", {{"metrics.json", {{"accuracy", 0.94}}}}}};
  meta["lineage"] = Json::array({Json{{"stage", "train"},
                                      {"role", "out"},
                                      {"path", "model"},
                                      {"md5", "0cc175b9c0f1b6a831c399e269772661.dir"},
                                      {"size", 52314},
                                      {"nfiles", 2}}});
  meta["message"] = nullptr;
  meta["models"] = Json::array(
      {Json{{"name", model}, {"version", 1}, {"aliases", Json::array({"production"})}}});
  return Json::array({meta});
}

Json SwapReportExample(const std::string& model) {
  Json next = IdentityExample(model);
  next["tag"] = "b2c3d4e";
  next["version"] = 2;
  return Json{{"replaced", IdentityExample(model)},
              {"by", next},
              {"load_seconds", 0.021},
              {"check_seconds", 0.001},
              {"warm_seconds", 0.002}};
}

// --- Responses ------------------------------------------------------------

// One way an operation can answer: a status, the schema of its JSON body
// and when it happens. Several outcomes may share a status; Responses()
// merges them.
struct Outcome {
  int status;
  std::string schema;
  std::string when;
};

std::string StatusText(int status) {
  static const std::map<int, std::string> kText = {
      {400, "Bad request"},       {404, "Not found"},
      {413, "Payload too large"}, {415, "Unsupported media type"},
      {422, "Unprocessable"},     {431, "Request header too large"},
      {500, "Internal error"},    {503, "Service unavailable"}};
  auto found = kText.find(status);
  return found == kText.end() ? "Error" : found->second;
}

Json RequestIdHeader() { return Json{{"$ref", "#/components/headers/RequestId"}}; }

// `success`: the 2xx/3xx responses, already written. `outcomes`: the
// handler's errors. The transport's own errors (http_session.cc,
// http_server.cc) are added here since any request can meet them; 413 only
// where the operation takes a body.
Json Responses(Json success, std::vector<Outcome> outcomes, bool takes_body) {
  outcomes.push_back({400, "Error", "the request line, target or a header is malformed"});
  if (takes_body)
    outcomes.push_back({413, "Error", "the body is over the server's --max-body limit"});
  outcomes.push_back({431, "Error", "the request header is over the server's limit"});
  outcomes.push_back({500, "Error", "a handler failed unexpectedly (a bug; the server goes on)"});
  outcomes.push_back({503, "Error", "the server is at its connection limit"});

  std::map<int, std::vector<const Outcome*>> by_status;
  for (const Outcome& outcome : outcomes)
    by_status[outcome.status].push_back(&outcome);
  Json responses = std::move(success);
  for (const auto& [status, list] : by_status) {
    std::string description = StatusText(status) + ": ";
    std::vector<std::string> schemas;
    for (size_t i = 0; i < list.size(); ++i) {
      description += (i == 0 ? "" : "; ") + list[i]->when;
      if (std::find(schemas.begin(), schemas.end(), list[i]->schema) == schemas.end())
        schemas.push_back(list[i]->schema);
    }
    description += ".";
    Json schema;
    if (schemas.size() == 1) {
      schema = Ref(schemas.front());
    } else {
      schema["oneOf"] = Json::array();
      for (const std::string& name : schemas)
        schema["oneOf"].push_back(Ref(name));
    }
    responses[std::to_string(status)] = {
        {"description", description},
        {"headers", {{"X-Request-Id", RequestIdHeader()}}},
        {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
  }
  return responses;
}

Json JsonSuccess(std::string_view description, Json schema, Json example = nullptr) {
  Json media{{"schema", std::move(schema)}};
  if (!example.is_null())
    media["example"] = std::move(example);
  return Json{{"200",
               {{"description", description},
                {"headers", {{"X-Request-Id", RequestIdHeader()}}},
                {"content", {{"application/json", std::move(media)}}}}}};
}

Json NotModified() {
  return Json{{"description", "Not modified: the If-None-Match header names the current ETag."},
              {"headers", {{"X-Request-Id", RequestIdHeader()}}}};
}

Json Operation(std::string_view id, std::string_view tag, std::string_view summary,
               std::string_view description, Json responses) {
  return Json{{"operationId", id},
              {"tags", Json::array({tag})},
              {"summary", summary},
              {"description", description},
              {"responses", std::move(responses)}};
}

Json QueryParameter(std::string_view name, std::string_view description, Json schema) {
  return Json{{"name", name},
              {"in", "query"},
              {"required", false},
              {"description", description},
              {"schema", std::move(schema)}};
}

// --- Paths ----------------------------------------------------------------

Json PredictOperation(const std::string& model) {
  Json op = Operation(
      "predict", "model", "Classify one input",
      "Send one image as a multipart `file` part (PNG, JPEG, BMP or netpbm), a raw image body, "
      "a JSON body or CSV rows. The model's own preprocessing (model.yaml) is applied; an image "
      "of another size is resized to the model's. One input answers a `Prediction`, several "
      "rows a `BatchPrediction`.",
      Responses(
          JsonSuccess("The predicted class.",
                      Json{{"oneOf", {Ref("Prediction"), Ref("BatchPrediction")}}}),
          {{413, "Error", "an image is over 4096x4096, or more than 1024 rows were sent"},
           {415, "Error", "a Content-Type, or an image format, that the server does not take"},
           {422, "Error",
            "malformed JSON, CSV or multipart body, a corrupt or empty image, or a row of the "
            "wrong length"},
           {500, "Error", "the model failed to predict (prediction_failed)"},
           {503, "Error", "no model is loaded yet (not_ready)"}},
          /*takes_body=*/true));
  // Two named examples, one per answer shape.
  Json batch = PredictionExample(model);
  Json scores{{"class", 7}, {"label", "7"}, {"probabilities", ProbabilitiesExample()}};
  for (const char* key : {"class", "label", "probabilities"})
    batch.erase(key);
  batch = Json{{"predictions", Json::array({scores, scores})},
               {"model", batch["model"]},
               {"request_id", batch["request_id"]}};
  op["responses"]["200"]["content"]["application/json"]["examples"] = {
      {"one", {{"summary", "One input"}, {"value", PredictionExample(model)}}},
      {"several", {{"summary", "Several rows"}, {"value", std::move(batch)}}}};
  Json image{{"schema", Json{{"type", "string"}, {"format", "binary"}}}};
  Json content;
  // First, so that Swagger UI offers the file picker by default.
  content["multipart/form-data"] = {
      {"schema",
       Object("An upload form.",
              {{"file", Json{{"type", "string"},
                             {"format", "binary"},
                             {"description",
                              "The image (PNG, JPEG, BMP or netpbm; the bytes are sniffed, the "
                              "part's Content-Type is ignored). A part named `image`, or the "
                              "only part, is taken as well."}}}})}};
  content["application/json"] = {
      {"schema",
       Json{{"oneOf", {Ref("FeaturesInput"), Ref("InstancesInput"), Ref("ImageBase64Input")}}}}};
  content["text/csv"] = {
      {"schema",
       Type("string",
            "One row of raw input values per line, comma-separated; a first line without a "
            "number is a header and skipped.")}};
  for (const char* type : {"image/png", "image/jpeg", "image/bmp", "image/x-portable-graymap",
                           "application/octet-stream"}) {
    content[type] = image;
  }
  op["requestBody"] = {{"required", true},
                       {"description", "The input, in one of the forms below."},
                       {"content", std::move(content)}};
  return op;
}

Json MetasOperation(const std::string& model) {
  Json op = Operation(
      "getExperimentMetas", "model", "List experiments",
      "The registry's experiments with their params, metrics, lineage and the model versions "
      "each produced, a page at a time.",
      Responses(JsonSuccess("One page of experiments.", ArrayOf(Ref("ExperimentMeta")),
                            ExperimentMetaExample(model)),
                {{400, "Error", "a query parameter is out of range (invalid_query)"},
                 {500, "Error", "the registry failed (registry_error)"},
                 {503, "Error", "the registry is unreachable (registry_error)"}},
                /*takes_body=*/false));
  op["parameters"] = {
      QueryParameter("limit", "Experiments per page.",
                     {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100}}),
      QueryParameter("offset", "Experiments to skip.",
                     {{"type", "integer"}, {"minimum", 0}, {"default", 0}}),
      QueryParameter("order", "Newest or oldest first.",
                     {{"type", "string"}, {"enum", {"newest", "oldest"}}, {"default", "newest"}})};
  return op;
}

Json ReplaceOperation(const std::string& model) {
  Json op = Operation(
      "replaceMlModel", "model", "Hot-swap the served model",
      "Resolves NAME@TAG in the registry (an experiment tag, alias or version of the served "
      "model), loads the version, checks it on its spec's sample input and warms it, then "
      "serves it. Requests in flight finish on the old model; a model that fails any step "
      "leaves the old one serving. Give the tag as `?tag=` or as a JSON body.",
      Responses(JsonSuccess("The swap happened.", Ref("SwapReport"), SwapReportExample(model)),
                {{404, "Error", "no such tag, alias or version (replace_failed)"},
                 {422, "Error",
                  "no tag, a malformed body or tag (invalid_request, invalid_tag), or a version "
                  "that cannot be served as registered: refused by the registry, a cache object "
                  "that no longer hashes to its name, a model file or spec that does not load "
                  "(replace_failed)"},
                 {500, "Error", "the new model failed to load, check or warm (replace_failed)"},
                 {503, "Error", "the registry is unreachable (replace_failed)"}},
                /*takes_body=*/true));
  op["parameters"] =
      Json::array({QueryParameter("tag", "Experiment tag, alias or version to serve.",
                                  {{"type", "string"}, {"pattern", kTagPattern}})});
  op["parameters"][0]["example"] = "a1b2c3d";
  op["requestBody"] = {{"required", false},
                       {"description", "Used when there is no `tag` query parameter."},
                       {"content", {{"application/json", {{"schema", Ref("ReplaceRequest")}}}}}};
  return op;
}

Json FeedbackOperation() {
  Json item_example{{"request_id", "1a2b3c4d-2a"}, {"label", "7"}};
  Json op = Operation(
      "feedback", "model", "Send the true labels of earlier predictions",
      "Joins each label to the prediction its request_id names (the server remembers recent "
      "predictions), for live accuracy and per-class error rates on /metrics. One object or an "
      "array of up to 10,000. The whole body is checked first: one bad item is a 422 naming it, "
      "and nothing is recorded. Needs the feedback or admin role.",
      Responses(JsonSuccess("The items' outcomes.", Ref("FeedbackAnswer"),
                            {{"accepted", 1},
                             {"correct", 1},
                             {"wrong", 0},
                             {"unknown_request", 0},
                             {"duplicate", 0},
                             {"results", Json::array({{{"request_id", "1a2b3c4d-2a"},
                                                       {"row", 0},
                                                       {"outcome", "correct"},
                                                       {"predicted", "7"},
                                                       {"model_version", 3}}})}}),
                {{400, "Error", "the body is not JSON (invalid_json)"},
                 {422, "Error",
                  "an item lacks request_id or label, has a label the model does not have, or "
                  "the batch is empty or too large (invalid_feedback)"},
                 {503, "Error", "no model is loaded yet (not_ready)"}},
                /*takes_body=*/true));
  op["requestBody"] = {
      {"required", true},
      {"content",
       {{"application/json",
         {{"schema",
           Json{{"oneOf", Json::array({Ref("FeedbackItem"), Json{{"type", "array"},
                                                                 {"items", Ref("FeedbackItem")},
                                                                 {"minItems", 1},
                                                                 {"maxItems", 10000}}})}}},
          {"example", item_example}}}}}};
  return op;
}

Json AlertHookOperation() {
  Json op = Operation(
      "alertmanagerHook", "model", "Alertmanager's webhook: firing alerts start retraining",
      "Alertmanager's webhook payload (version 4). A firing alert named by `serve --retrain-on` "
      "starts `--retrain-command`, unless a run is going on or the last one started within "
      "`--retrain-cooldown`; resolved alerts and other names start nothing. Every valid "
      "payload is a 200 (Alertmanager retries anything else) saying what was decided. Needs "
      "the feedback or admin role.",
      Responses(JsonSuccess("What was decided.", Ref("RetrainAnswer"),
                            {{"started", true},
                             {"run", 1},
                             {"alert", "ConveyorPredictionDrift"},
                             {"reason",
                              "ConveyorPredictionDrift is firing: starting a "
                              "retraining run"},
                             {"log", "/srv/project/.conveyor/retrain/20261127T100000Z-1.log"}}),
                {{400, "Error", "the body is not JSON (invalid_json)"},
                 {422, "Error",
                  "not Alertmanager's version-4 payload; the message names the field "
                  "(invalid_alert)"}},
                /*takes_body=*/true));
  op["requestBody"] = {
      {"required", true},
      {"content",
       {{"application/json",
         {{"schema", Json{{"type", "object"},
                          {"description", "Alertmanager's webhook payload, version 4."}}}}}}}};
  return op;
}

Json NameParameter(const std::string& model) {
  return Json{{"name", "name"},
              {"in", "path"},
              {"required", true},
              {"description", "The model's name: the served model, `" + model + "`."},
              {"schema", Type("string")},
              {"example", model}};
}

Json V2Paths(const std::string& model, const std::string& version) {
  const std::vector<Outcome> unknown = {{404, "V2Error", "the server serves another model"},
                                        {503, "V2Error", "no model is loaded yet"}};
  Json paths;
  paths["/v2"]["get"] = Operation(
      "v2ServerMetadata", "kserve-v2", "Server metadata", "The server's name and version.",
      Responses(
          JsonSuccess("Server metadata.", Ref("V2ServerMetadata"),
                      {{"name", "conveyor"}, {"version", version}, {"extensions", Json::array()}}),
          {}, false));
  paths["/v2/health/live"]["get"] =
      Operation("v2ServerLive", "kserve-v2", "Liveness", "200 while the process runs.",
                Responses(JsonSuccess("Alive.", Ref("V2Live"), {{"live", true}}), {}, false));
  paths["/v2/health/ready"]["get"] =
      Operation("v2ServerReady", "kserve-v2", "Readiness", "200 once a model is loaded and warm.",
                Responses(JsonSuccess("Ready.", Ref("V2Ready"), {{"ready", true}}),
                          {{503, "V2Error", "no model is loaded and warm yet"}}, false));

  Json tensors =
      Json::array({Json{{"name", "probabilities"}, {"shape", {-1, 10}}, {"datatype", "FP32"}},
                   Json{{"name", "class"}, {"shape", Json::array({-1})}, {"datatype", "INT64"}},
                   Json{{"name", "label"}, {"shape", Json::array({-1})}, {"datatype", "BYTES"}}});
  Json metadata{
      {"name", model},
      {"versions", Json::array({"1"})},
      {"platform", "xgboost"},
      {"inputs",
       Json::array({Json{{"name", "pixels"}, {"datatype", "FP32"}, {"shape", {-1, 400}}}})},
      {"outputs", tensors}};
  Json& model_path = paths["/v2/models/{name}"];
  model_path["parameters"] = Json::array({NameParameter(model)});
  model_path["get"] = Operation(
      "v2ModelMetadata", "kserve-v2", "Model metadata",
      "The model's versions, platform (its backend) and tensors.",
      Responses(JsonSuccess("Model metadata.", Ref("V2ModelMetadata"), metadata), unknown, false));
  Json& ready_path = paths["/v2/models/{name}/ready"];
  ready_path["parameters"] = Json::array({NameParameter(model)});
  ready_path["get"] = Operation(
      "v2ModelReady", "kserve-v2", "Model readiness", "200 when `name` is the model served.",
      Responses(JsonSuccess("Ready.", Ref("V2Ready"), {{"ready", true}}), unknown, false));

  std::vector<Outcome> infer_errors = unknown;
  infer_errors.push_back({400, "V2Error",
                          "the body is not an inference request, or its tensor is malformed, "
                          "of the wrong size or over 1024 rows"});
  infer_errors.push_back({500, "V2Error", "the model failed to predict"});
  Json infer_example{{"model_name", model}, {"model_version", "1"}, {"id", "42"}};
  infer_example["outputs"] = Json::array({Json{{"name", "probabilities"},
                                               {"shape", {1, 10}},
                                               {"datatype", "FP32"},
                                               {"data", ProbabilitiesExample()}},
                                          Json{{"name", "class"},
                                               {"shape", Json::array({1})},
                                               {"datatype", "INT64"},
                                               {"data", Json::array({7})}},
                                          Json{{"name", "label"},
                                               {"shape", Json::array({1})},
                                               {"datatype", "BYTES"},
                                               {"data", Json::array({"7"})}}});
  Json& infer_path = paths["/v2/models/{name}/infer"];
  infer_path["parameters"] = Json::array({NameParameter(model)});
  infer_path["post"] =
      Operation("v2ModelInfer", "kserve-v2", "Inference",
                "One input tensor of raw pixel values; the model's preprocessing is applied as for "
                "/predict.",
                Responses(JsonSuccess("The outputs.", Ref("V2InferenceResponse"), infer_example),
                          infer_errors, true));
  infer_path["post"]["requestBody"] = {
      {"required", true},
      {"content", {{"application/json", {{"schema", Ref("V2InferenceRequest")}}}}}};
  return paths;
}

Json DocsPaths() {
  auto success = [](std::string_view description, std::string_view type, Json schema) {
    return Json{
        {"200",
         {{"description", description},
          {"headers",
           {{"X-Request-Id", RequestIdHeader()},
            {"ETag", {{"description", "The content's version."}, {"schema", Type("string")}}}}},
          {"content", {{type, {{"schema", std::move(schema)}}}}}}},
        {"304", NotModified()}};
  };
  Json binary{{"type", "string"}, {"format", "binary"}};
  Json paths;
  paths["/openapi.json"]["get"] = Operation(
      "getOpenApi", "docs", "This document", "The OpenAPI description of this server.",
      Responses(success("The OpenAPI document.", "application/json", Type("object")), {}, false));
  paths["/docs"]["get"] = Operation(
      "getDocs", "docs", "API documentation page",
      "An interactive page (Swagger UI) built from /openapi.json; its files are built into the "
      "server.",
      Responses(success("The page.", "text/html", Type("string")), {}, false));
  Json& asset = paths["/docs/{asset}"];
  asset["parameters"] = Json::array({Json{{"name", "asset"},
                                          {"in", "path"},
                                          {"required", true},
                                          {"description", "A file of the documentation page."},
                                          {"schema", Type("string")},
                                          {"example", "swagger-ui.css"}}});
  Json asset_success = success("The file.", "text/css", binary);
  for (const char* type : {"text/javascript", "image/png", "text/plain"})
    asset_success["200"]["content"][type] = {{"schema", binary}};
  asset["get"] = Operation(
      "getDocsAsset", "docs", "A file of the documentation page",
      "Scripts, style sheet, icons and licences of Swagger UI.",
      Responses(std::move(asset_success), {{404, "Error", "no such file (not_found)"}}, false));
  return paths;
}

Json MetricsPath() {
  Json success{
      {"200",
       {{"description",
         "Every series, in OpenMetrics 1.0 text when the Accept header ranks "
         "application/openmetrics-text first (as Prometheus does), otherwise in the "
         "Prometheus text exposition format 0.0.4."},
        {"headers", {{"X-Request-Id", RequestIdHeader()}}},
        {"content",
         {{"text/plain",
           {{"schema", Type("string")},
            {"example",
             "# HELP conveyor_http_requests_total HTTP requests answered, by route pattern, "
             "method and status code.\n# TYPE conveyor_http_requests_total counter\n"
             "conveyor_http_requests_total{code=\"200\",method=\"POST\",route=\"/predict\"} "
             "42\n"}}},
          {"application/openmetrics-text",
           {{"schema", Type("string")},
            {"example",
             "# TYPE conveyor_http_requests counter\n# HELP conveyor_http_requests HTTP "
             "requests answered, by route pattern, method and status code.\n"
             "conveyor_http_requests_total{code=\"200\",method=\"POST\",route=\"/predict\"} "
             "42\n# EOF\n"}}}}}}}};
  return Json{{"get", Operation("getMetrics", "monitoring", "Prometheus metrics",
                                "Requests, errors, predictions by class, prediction scores, "
                                "inference time, the model served and its swaps, drift (PSI "
                                "against the training statistics), and process metrics, for "
                                "Prometheus to scrape (see docs/serving.md).",
                                Responses(std::move(success), {}, false))}};
}

}  // namespace

Json BuildOpenApiSpec(const OpenApiOptions& options) {
  const std::string model = options.model_name.empty() ? "model" : options.model_name;
  Json spec;
  spec["openapi"] = "3.0.3";
  spec["info"] = {
      {"title", "conveyor model server"},
      {"version", options.server_version},
      {"description",
       "The API of `conveyor serve` serving the model `" + model +
           "`: the paper's /predict, /get_experiment_metas and /replace_ml_model, Kubernetes "
           "probes, and the Open Inference Protocol (KServe V2) REST routes.\n\n"
           "Errors of conveyor's own routes and of the HTTP transport are "
           "`{\"error\": {\"code\", \"message\"}}`; the /v2 handlers answer the protocol's "
           "`{\"error\": \"<message>\"}`. A known path asked with another method answers 405 "
           "with an `Allow` header. Every response carries `X-Request-Id` (the client's, or "
           "a new one)."}};
  // Bearer tokens (access_control.h, docs/security.md): every operation
  // needs one but those marked open below.
  spec["security"] = Json::array({Json{{"bearer", Json::array()}}});
  spec["servers"] = Json::array({Json{{"url", "/"}, {"description", "This server"}}});
  spec["tags"] = {
      {{"name", "model"}, {"description", "Prediction, experiments and hot swap."}},
      {{"name", "probes"}, {"description", "Liveness and readiness for Kubernetes."}},
      {{"name", "kserve-v2"}, {"description", "The Open Inference Protocol over REST."}},
      {{"name", "docs"}, {"description", "This document and its page."}}};
  if (options.metrics) {
    spec["tags"].push_back(
        {{"name", "monitoring"}, {"description", "Metrics in Prometheus's formats."}});
  }

  Json paths;
  paths["/predict"]["post"] = PredictOperation(model);
  paths["/get_experiment_metas"]["get"] = MetasOperation(model);
  paths["/replace_ml_model"]["post"] = ReplaceOperation(model);
  if (options.feedback)
    paths["/feedback"]["post"] = FeedbackOperation();
  if (options.alert_hook)
    paths["/hooks/alertmanager"]["post"] = AlertHookOperation();
  paths["/healthz"]["get"] =
      Operation("healthz", "probes", "Liveness", "200 while the process runs.",
                Responses(JsonSuccess("Alive.", Ref("Health"), {{"status", "ok"}}), {}, false));
  paths["/readyz"]["get"] =
      Operation("readyz", "probes", "Readiness", "200 once a model is loaded, checked and warm.",
                Responses(JsonSuccess("Ready.", Ref("Readiness"),
                                      {{"status", "ready"}, {"model", IdentityExample(model)}}),
                          {{503, "Error", "no model is loaded and warm yet (not_ready)"}}, false));
  paths.update(V2Paths(model, options.server_version));
  paths.update(DocsPaths());
  if (options.metrics)
    paths["/metrics"] = MetricsPath();
  // The open routes of DefaultAccessPolicy (access_control.cc), by
  // operationId; the others answer 401 and 403 too.
  const std::set<std::string> open = {"healthz", "readyz", "v2ServerLive", "v2ServerReady",
                                      options.metrics_auth ? "" : "getMetrics"};
  for (auto& [path, item] : paths.items()) {
    for (auto& [method, op] : item.items()) {
      if (!op.is_object() || !op.contains("operationId"))
        continue;
      if (open.count(op["operationId"].get<std::string>()) != 0) {
        op["security"] = Json::array();
        continue;
      }
      op["responses"]["401"] = {
          {"description",
           "Unauthorized: no, a malformed or an unknown bearer token (unauthorized)."},
          {"headers",
           {{"X-Request-Id", RequestIdHeader()},
            {"WWW-Authenticate",
             {{"description", "Bearer realm=\"conveyor\""}, {"schema", Type("string")}}}}},
          {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
      op["responses"]["403"] = {
          {"description", "Forbidden: the token's role does not allow this route (forbidden)."},
          {"headers", {{"X-Request-Id", RequestIdHeader()}}},
          {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
    }
  }
  spec["paths"] = std::move(paths);

  spec["components"]["securitySchemes"]["bearer"] = {
      {"type", "http"},
      {"scheme", "bearer"},
      {"description",
       "A token from CONVEYOR_TOKENS or the server's --tokens file, whose role (read, "
       "predict, feedback, admin) allows the route; see docs/security.md."}};
  spec["components"]["schemas"] = Schemas();
  // The schemas of routes this server does not serve would be unused.
  if (!options.feedback) {
    for (const char* name : {"FeedbackItem", "FeedbackResult", "FeedbackAnswer"})
      spec["components"]["schemas"].erase(name);
  }
  if (!options.alert_hook)
    spec["components"]["schemas"].erase("RetrainAnswer");
  spec["components"]["headers"]["RequestId"] = {
      {"description", "The request's id: the client's X-Request-Id when sane, else a new one."},
      {"schema", Type("string")}};
  return spec;
}

}  // namespace conveyor::serving
