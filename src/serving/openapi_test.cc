// Keeps the OpenAPI document honest against the code: the routes a real
// Router holds, the $refs, and the bodies the real handlers write (each must
// validate against the schema the document gives for its route and status,
// and have the keys of the document's example).
#include "serving/openapi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "cache/hasher.h"
#include "ml/gray_image.h"
#include "registry/sqlite_store.h"
#include "serving/api_docs.h"
#include "serving/feedback_service.h"
#include "serving/kserve_v2.h"
#include "serving/model_loader.h"
#include "serving/model_service.h"
#include "serving/test_digits_registry.h"
#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

using Json = nlohmann::ordered_json;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Resolves a local JSON reference ("#/components/schemas/Error").
const Json* Resolve(const Json& root, const std::string& ref) {
  if (!ref.starts_with("#/"))
    return nullptr;
  try {
    const Json& found = root.at(Json::json_pointer(ref.substr(1)));
    return &found;
  } catch (const std::exception&) {
    return nullptr;
  }
}

// The subset of OpenAPI 3.0's schema language the document uses: $ref,
// oneOf, allOf, type, nullable, enum, properties, required, items,
// additionalProperties, minItems, maxItems, minimum, maximum, pattern.
// Stricter than the standard on one point, on purpose: an object may not
// hold a property the schema does not declare unless it says
// additionalProperties, so a field the handler adds without documenting
// it fails. Returns "" or what is wrong and where.
std::string Validate(const Json& root, const Json& schema, const Json& value,
                     const std::string& at) {
  if (schema.contains("$ref")) {
    const Json* target = Resolve(root, schema["$ref"]);
    if (target == nullptr)
      return at + ": unresolved " + schema["$ref"].dump();
    return Validate(root, *target, value, at);
  }
  if (value.is_null() && schema.value("nullable", false))
    return "";
  if (schema.contains("oneOf")) {
    int matches = 0;
    std::string errors;
    for (const Json& option : schema["oneOf"]) {
      std::string error = Validate(root, option, value, at);
      matches += error.empty() ? 1 : 0;
      errors += error.empty() ? "" : " [" + error + "]";
    }
    return matches == 1 ? "" : at + ": matches " + std::to_string(matches) + " of oneOf" + errors;
  }
  if (schema.contains("allOf")) {
    for (const Json& part : schema["allOf"]) {
      if (std::string error = Validate(root, part, value, at); !error.empty())
        return error;
    }
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const Json& allowed : schema["enum"])
      found = found || allowed == value;
    if (!found)
      return at + ": " + value.dump() + " is not in " + schema["enum"].dump();
  }
  if (!schema.contains("type"))
    return "";
  const std::string type = schema["type"];
  if (type == "object") {
    if (!value.is_object())
      return at + ": expected an object, got " + value.dump();
    for (const Json& name : schema.value("required", Json::array())) {
      if (!value.contains(name.get<std::string>()))
        return at + ": lacks required '" + name.get<std::string>() + "'";
    }
    // Properties declared through allOf were checked there.
    if (schema.contains("allOf") && !schema.contains("properties"))
      return "";
    const Json properties = schema.value("properties", Json::object());
    for (const auto& [key, item] : value.items()) {
      if (properties.contains(key)) {
        if (std::string error = Validate(root, properties[key], item, at + "." + key);
            !error.empty())
          return error;
      } else if (!schema.contains("additionalProperties")) {
        return at + ": '" + key + "' is not documented";
      } else if (schema["additionalProperties"].is_object()) {
        if (std::string error =
                Validate(root, schema["additionalProperties"], item, at + "." + key);
            !error.empty())
          return error;
      }
    }
    return "";
  }
  if (type == "array") {
    if (!value.is_array())
      return at + ": expected an array, got " + value.dump();
    if (value.size() < schema.value("minItems", size_t{0}) ||
        value.size() > schema.value("maxItems", SIZE_MAX))
      return at + ": wrong number of items";
    for (size_t i = 0; i < value.size(); ++i) {
      if (std::string error =
              Validate(root, schema["items"], value[i], at + "[" + std::to_string(i) + "]");
          !error.empty())
        return error;
    }
    return "";
  }
  bool ok = (type == "string" && value.is_string()) ||
            (type == "integer" && value.is_number_integer()) ||
            (type == "number" && value.is_number()) || (type == "boolean" && value.is_boolean());
  if (!ok)
    return at + ": expected " + type + ", got " + value.dump();
  if (value.is_number() &&
      ((schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) ||
       (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>())))
    return at + ": " + value.dump() + " is out of range";
  if (value.is_string() && schema.contains("pattern") &&
      !std::regex_search(value.get<std::string>(),
                         std::regex(schema["pattern"].get<std::string>())))
    return at + ": " + value.dump() + " does not match " + schema["pattern"].dump();
  return "";
}

// The keys of every object in `example`, recursively (array items: the
// first), must be those of the same object in `real`.
std::string SameKeys(const Json& example, const Json& real, const std::string& at) {
  if (example.is_object() && real.is_object()) {
    std::set<std::string> want, got;
    for (const auto& [key, value] : example.items())
      want.insert(key);
    for (const auto& [key, value] : real.items())
      got.insert(key);
    if (want != got)
      return at + ": example keys " + Json(want).dump() + ", handler keys " + Json(got).dump();
    for (const auto& [key, value] : example.items()) {
      if (std::string error = SameKeys(value, real[key], at + "." + key); !error.empty())
        return error;
    }
  } else if (example.is_array() && real.is_array() && !example.empty() && !real.empty()) {
    return SameKeys(example[0], real[0], at + "[0]");
  }
  return "";
}

// Calls `fn` on every value of `node` and below.
template <typename Fn>
void Walk(const Json& node, const std::string& at, Fn&& fn) {
  fn(node, at);
  if (node.is_object()) {
    for (const auto& [key, value] : node.items())
      Walk(value, at + "/" + key, fn);
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i)
      Walk(node[i], at + "/" + std::to_string(i), fn);
  }
}

TEST(OpenApiTest, IsAnOpenApi3DocumentForThisServer) {
  Json spec = BuildOpenApiSpec({.server_version = "1.2.3", .model_name = "digits"});
  EXPECT_EQ(spec["openapi"], "3.0.3");
  EXPECT_EQ(spec["info"]["version"], "1.2.3");
  EXPECT_EQ(spec["paths"]["/v2/models/{name}/infer"]["parameters"][0]["example"], "digits");
  EXPECT_EQ(spec["paths"]["/v2"]["get"]["responses"]["200"]["content"]["application/json"]
                ["example"]["version"],
            "1.2.3");
  // Swagger UI offers a file picker for a binary property of a form.
  const Json& form =
      spec["paths"]["/predict"]["post"]["requestBody"]["content"]["multipart/form-data"];
  EXPECT_EQ(form["schema"]["properties"]["file"]["format"], "binary");
  EXPECT_EQ(spec["paths"]["/predict"]["post"]["requestBody"]["content"].begin().key(),
            "multipart/form-data");
  // Without a model name the document is still whole.
  EXPECT_EQ(BuildOpenApiSpec(
                {.server_version = "1"})["paths"]["/v2/models/{name}"]["parameters"][0]["example"],
            "model");
}

TEST(OpenApiTest, EveryRefResolvesAndEveryOperationIsComplete) {
  Json spec = BuildOpenApiSpec({.server_version = "1", .model_name = "digits"});
  int refs = 0;
  Walk(spec, "#", [&](const Json& node, const std::string& at) {
    if (node.is_object() && node.contains("$ref")) {
      ++refs;
      EXPECT_NE(Resolve(spec, node["$ref"]), nullptr) << at << ": " << node["$ref"];
    }
  });
  EXPECT_GT(refs, 40);
  std::set<std::string> ids;
  for (const auto& [path, item] : spec["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters")
        continue;
      EXPECT_TRUE(ids.insert(op["operationId"].get<std::string>()).second) << path;
      EXPECT_FALSE(op["summary"].get<std::string>().empty()) << path;
      for (const auto& [status, response] : op["responses"].items())
        EXPECT_FALSE(response["description"].get<std::string>().empty()) << path << status;
      // The transport's errors are on every operation.
      for (const char* status : {"400", "431", "500", "503"})
        EXPECT_TRUE(op["responses"].contains(status)) << method << " " << path << " " << status;
    }
  }
}

TEST(OpenApiTest, EveryExampleValidatesAgainstItsSchema) {
  Json spec = BuildOpenApiSpec({.server_version = "1", .model_name = "digits"});
  int examples = 0;
  Walk(spec, "#", [&](const Json& node, const std::string& at) {
    if (node.is_object() && node.contains("example") && node.contains("schema")) {
      ++examples;
      EXPECT_EQ(Validate(spec, node["schema"], node["example"], at), "");
    }
    if (node.is_object() && node.contains("examples") && node.contains("schema")) {
      for (const auto& [name, example] : node["examples"].items()) {
        ++examples;
        EXPECT_EQ(Validate(spec, node["schema"], example["value"], at + "/" + name), "");
      }
    }
    if (at.starts_with("#/components/schemas/") && node.is_object() && node.contains("example")) {
      EXPECT_EQ(Validate(spec, node, node["example"], at), "");
    }
  });
  EXPECT_GE(examples, 10);
}

// A registry whose experiment "aaa1111" produced digits v1, the real
// handlers registered on a Router, and each request answered through it.
class OpenApiHandlersTest : public testing::DigitsRegistryTest {
 protected:
  void SetUp() override {
    testing::DigitsRegistryTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    v2_ = std::make_unique<KserveV2>(*manager_, "1.2.3");
    // Predictions are remembered for /feedback, as serve wires them.
    service_ = std::make_unique<ModelService>(*manager_, *metas_store_, "digits", InputLimits{},
                                              &tracker_);
    feedback_ = std::make_unique<FeedbackService>(*manager_, tracker_);
    ASSERT_TRUE(service_->AddRoutes(router_).ok());
    ASSERT_TRUE(v2_->AddRoutes(router_).ok());
    ASSERT_TRUE(feedback_->AddRoutes(router_).ok());
    spec_ = BuildOpenApiSpec({.server_version = "1.2.3", .model_name = "digits"});
    const DocsAsset assets[] = {{"swagger-ui-bundle.js", "js"}, {"swagger-ui.css", "css"}};
    ASSERT_TRUE(AddApiDocsRoutes(router_, spec_.dump(), assets).ok());
  }

  // Answers `request` through the router and checks the answer against the
  // document: the route is there, the status is listed, and the body
  // validates against the schema (and, for a 200 with an example, has the
  // example's keys). Returns the body.
  Json Call(std::string method, std::string target, std::string content_type = "",
            std::string body = "") {
    HttpRequest request;
    request.method = std::move(method);
    request.target = target;
    request.path = target.substr(0, target.find('?'));
    if (size_t q = target.find('?'); q != std::string::npos) {
      std::string query = target.substr(q + 1);
      for (size_t start = 0; start <= query.size();) {
        size_t end = std::min(query.find('&', start), query.size());
        std::string pair = query.substr(start, end - start);
        size_t equals = pair.find('=');
        request.query[pair.substr(0, equals)] =
            equals == std::string::npos ? "" : pair.substr(equals + 1);
        start = end + 1;
      }
    }
    if (!content_type.empty())
      request.headers["content-type"] = std::move(content_type);
    request.body = std::move(body);
    request.request_id = "req-1";
    RouteMatch match = router_.Route(request);
    EXPECT_NE(match.handler, nullptr) << target;
    if (match.handler == nullptr)
      return nullptr;
    HttpResponse response = (*match.handler)(request);
    std::string where = request.method + " " + target + " -> " + std::to_string(response.status);
    const std::string pattern(match.pattern);
    const std::string method = Lower(request.method);
    const bool documented =
        spec_["paths"].contains(pattern) && spec_["paths"][pattern].contains(method);
    EXPECT_TRUE(documented) << where;
    if (!documented)
      return nullptr;
    const Json& responses = spec_["paths"][pattern][method]["responses"];
    std::string status = std::to_string(response.status);
    EXPECT_TRUE(responses.contains(status)) << where << " is not documented";
    if (!responses.contains(status))
      return nullptr;
    const Json& media = responses[status]["content"]["application/json"];
    Json parsed = Json::parse(response.body);
    EXPECT_EQ(Validate(spec_, media["schema"], parsed, "body"), "") << where << ": " << parsed;
    // A 200 has the keys of the example, or of one of the named examples.
    std::vector<Json> examples;
    if (media.contains("example"))
      examples.push_back(media["example"]);
    if (media.contains("examples")) {
      for (const Json& example : media["examples"])
        examples.push_back(example["value"]);
    }
    if (response.status == 200 && !examples.empty()) {
      std::string mismatch;
      for (const Json& example : examples) {
        mismatch = SameKeys(example, parsed, "body");
        if (mismatch.empty())
          break;
      }
      EXPECT_EQ(mismatch, "") << where << ": " << parsed;
    }
    ++checked_;
    return parsed;
  }

  std::unique_ptr<KserveV2> v2_;
  FeedbackTracker tracker_;
  std::unique_ptr<FeedbackService> feedback_;
  Router router_;
  Json spec_;
  int checked_ = 0;
};

TEST_F(OpenApiHandlersTest, EveryRegisteredRouteIsDocumentedAndNothingElse) {
  std::set<std::pair<std::string, std::string>> registered;
  for (const RouteInfo& route : router_.Routes()) {
    registered.emplace(Lower(route.method), route.pattern);
    EXPECT_TRUE(spec_["paths"].contains(std::string(route.pattern))) << route.pattern;
    EXPECT_TRUE(spec_["paths"][std::string(route.pattern)].contains(Lower(route.method)))
        << route.method << " " << route.pattern;
  }
  EXPECT_EQ(registered.size(), 15u);
  for (const auto& [path, item] : spec_["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (method != "parameters") {
        EXPECT_TRUE(registered.count({method, path}))
            << method << " " << path << " documented but not registered";
      }
    }
  }
}

TEST_F(OpenApiHandlersTest, HandlersAnswerWhatTheDocumentSays) {
  // Before a model is loaded.
  Call("GET", "/readyz");
  Call("POST", "/predict", "multipart/form-data; boundary=XyZ", PngForm());
  Call("GET", "/v2/health/ready");
  Call("GET", "/v2/models/digits");

  Json report = Call("POST", "/replace_ml_model?tag=aaa1111");
  ASSERT_EQ(report["by"]["tag"], "aaa1111");
  Call("POST", "/replace_ml_model", "application/json", R"({"tag":"aaa1111"})");
  Call("POST", "/replace_ml_model?tag=nope");
  Call("POST", "/replace_ml_model?tag=no/pe");
  Call("POST", "/replace_ml_model");
  Call("GET", "/healthz");
  Call("GET", "/readyz");
  Json metas = Call("GET", "/get_experiment_metas");
  ASSERT_EQ(metas.size(), 1u);
  EXPECT_EQ(metas[0]["models"][0]["name"], "digits");
  Call("GET", "/get_experiment_metas?limit=0");

  // /predict: the example's keys are the upload's answer's keys.
  Json predicted = Call("POST", "/predict", "multipart/form-data; boundary=XyZ", PngForm());
  EXPECT_EQ(predicted["label"], sample_.expected_label);
  Json features{{"features", sample_.pixels}};
  Call("POST", "/predict", "application/json", features.dump());
  Json instances{{"instances", {sample_.pixels, sample_.pixels}}};
  Json batch = Call("POST", "/predict", "application/json", instances.dump());
  EXPECT_EQ(batch["predictions"].size(), 2u);
  Call("POST", "/predict", "text/plain", "hello");
  Call("POST", "/predict", "application/json", "{not json");

  // /feedback: a join, a batch with an unknown id, and the errors.
  Json joined =
      Call("POST", "/feedback", "application/json",
           Json{{"request_id", predicted["request_id"]}, {"label", predicted["label"]}}.dump());
  EXPECT_EQ(joined["correct"], 1);
  Call("POST", "/feedback", "application/json",
       R"([{"request_id": "nope", "label": "1", "row": 0}])");
  Call("POST", "/feedback", "application/json", R"({"request_id": "x", "label": "cat"})");
  Call("POST", "/feedback", "application/json", "{not json");

  Call("GET", "/v2");
  Call("GET", "/v2/health/live");
  Call("GET", "/v2/health/ready");
  Call("GET", "/v2/models/digits");
  Call("GET", "/v2/models/digits/ready");
  Call("GET", "/v2/models/mnist/ready");
  Json infer{{"id", "42"}};
  infer["inputs"] = Json::array({Json{
      {"name", "pixels"}, {"shape", {1, 400}}, {"datatype", "FP32"}, {"data", sample_.pixels}}});
  Json inferred = Call("POST", "/v2/models/digits/infer", "application/json", infer.dump());
  EXPECT_EQ(inferred["outputs"].size(), 3u);
  Call("POST", "/v2/models/digits/infer", "application/json", R"({"inputs": []})");
  Call("GET", "/docs/nothing-here.js");
  EXPECT_EQ(checked_, 31);
}

TEST(OpenApiTest, DocumentsBearerTokensAndTheOpenRoutes) {
  Json spec = BuildOpenApiSpec({.server_version = "1", .model_name = "digits", .metrics = true});
  EXPECT_EQ(spec["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
  EXPECT_EQ(spec["security"], Json::parse(R"([{"bearer": []}])"));
  for (const char* path :
       {"/healthz", "/readyz", "/v2/health/live", "/v2/health/ready", "/metrics"}) {
    EXPECT_EQ(spec["paths"][path]["get"]["security"], Json::array()) << path;
    EXPECT_FALSE(spec["paths"][path]["get"]["responses"].contains("401")) << path;
  }
  for (const auto& [path, method] : std::vector<std::pair<std::string, std::string>>{
           {"/predict", "post"}, {"/replace_ml_model", "post"}, {"/openapi.json", "get"}}) {
    const Json& op = spec["paths"][path][method];
    EXPECT_FALSE(op.contains("security")) << path;
    EXPECT_TRUE(op["responses"].contains("401")) << path;
    EXPECT_TRUE(op["responses"].contains("403")) << path;
  }
  Json guarded = BuildOpenApiSpec({.server_version = "1", .metrics = true, .metrics_auth = true});
  EXPECT_TRUE(guarded["paths"]["/metrics"]["get"]["responses"].contains("401"));
}

}  // namespace
}  // namespace conveyor::serving
