#include "serving/kserve_v2.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "serving/model_loader.h"
#include "serving/test_digits_model.h"

namespace conveyor::serving {
namespace {

using Json = nlohmann::json;

// Serves the test digits model through a loader that builds it in memory.
class FixedLoader : public ModelLoader {
 public:
  Result<std::unique_ptr<ServedModel>> Load(std::string_view ref) override {
    testing::DigitsModel digits = testing::TrainDigitsModel();
    spec = digits.spec;
    ModelIdentity identity{.name = "digits", .version = 3, .reference = std::string(ref)};
    return ServedModel::Create(identity, digits.spec, std::move(digits.classifier),
                               std::chrono::system_clock::now());
  }
  ml::ModelSpec spec;
};

class KserveV2Test : public ::testing::Test {
 protected:
  HttpRequest Request(std::string name, std::string body = "") {
    HttpRequest request;
    request.path_params["name"] = std::move(name);
    request.body = std::move(body);
    return request;
  }
  Json Pixels(int rows) {
    Json data = Json::array();
    for (int r = 0; r < rows; ++r) {
      for (int pixel : loader_.spec.sample_input.pixels)
        data.push_back(pixel);
    }
    return data;
  }

  FixedLoader loader_;
  ModelManager manager_{loader_};
  KserveV2 v2_{manager_, "0.1.0"};
};

TEST_F(KserveV2Test, HealthFollowsTheModel) {
  EXPECT_EQ(v2_.Live({}).status, 200);
  HttpResponse not_ready = v2_.ServerReady({});
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_TRUE(Json::parse(not_ready.body)["error"].is_string());
  ASSERT_TRUE(manager_.Replace("digits@3").ok());
  EXPECT_EQ(v2_.ServerReady({}).status, 200);
  EXPECT_EQ(v2_.ModelReady(Request("digits")).status, 200);
  EXPECT_EQ(v2_.ModelReady(Request("other")).status, 404);
  EXPECT_EQ(Json::parse(v2_.ServerMetadata({}).body)["version"], "0.1.0");
  Json metadata = Json::parse(v2_.ModelMetadata(Request("digits")).body);
  EXPECT_EQ(metadata["name"], "digits");
  EXPECT_EQ(metadata["versions"][0], "3");
  EXPECT_EQ(metadata["inputs"][0]["shape"][1], 400);
  EXPECT_EQ(metadata["outputs"][0]["shape"][1], 10);
}

TEST_F(KserveV2Test, InferTakesTensorsAndAnswersTensors) {
  ASSERT_TRUE(manager_.Replace("digits@3").ok());
  Json body;
  body["id"] = "42";
  body["inputs"] = {
      {{"name", "pixels"}, {"shape", {2, 400}}, {"datatype", "UINT8"}, {"data", Pixels(2)}}};
  HttpResponse response = v2_.Infer(Request("digits", body.dump()));
  ASSERT_EQ(response.status, 200) << response.body;
  Json answer = Json::parse(response.body);
  EXPECT_EQ(answer["model_name"], "digits");
  EXPECT_EQ(answer["model_version"], "3");
  EXPECT_EQ(answer["id"], "42");
  ASSERT_EQ(answer["outputs"].size(), 3u);
  EXPECT_EQ(answer["outputs"][0]["name"], "probabilities");
  EXPECT_EQ(answer["outputs"][0]["shape"], Json::parse("[2, 10]"));
  EXPECT_EQ(answer["outputs"][0]["data"].size(), 20u);
  EXPECT_EQ(answer["outputs"][2]["data"][0], loader_.spec.sample_input.expected_label);
  EXPECT_EQ(answer["outputs"][2]["data"][1], loader_.spec.sample_input.expected_label);

  body["outputs"] = {{{"name", "label"}}};
  body["inputs"][0]["shape"] = {1, 20, 20};
  body["inputs"][0]["data"] = Pixels(1);
  Json only = Json::parse(v2_.Infer(Request("digits", body.dump())).body);
  ASSERT_EQ(only["outputs"].size(), 1u);
  EXPECT_EQ(only["outputs"][0]["name"], "label");
}

TEST_F(KserveV2Test, BadTensorsAreProtocolErrors) {
  ASSERT_TRUE(manager_.Replace("digits@3").ok());
  auto infer = [&](const std::string& text) { return v2_.Infer(Request("digits", text)); };
  struct Case {
    std::string body;
    std::string message;
  };
  const Case cases[] = {
      {"nope", "request body: expected a JSON object with 'inputs'"},
      {R"({"inputs": []})", "'inputs' must be a list of exactly one tensor (the pixels)"},
      {R"({"inputs": [{"name": "x"}]})",
       "inputs[0] must have 'name', 'shape', 'datatype' and 'data'"},
      {R"({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "BYTES", "data": ["a", "b"]}]})",
       "inputs[0].datatype 'BYTES' is not a numeric tensor type"},
      {R"({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2]}]})",
       "inputs[0].data has 2 values but its shape holds 3"},
      {R"({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]})",
       "inputs[0] must hold rows of 400 values (a 20x20 image each)"},
      {R"({"inputs": [{"name": "x", "shape": [0, 400], "datatype": "FP32", "data": []}]})",
       "inputs[0].shape must hold positive integers"},
      {R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [[1, "a"]]}]})",
       "inputs[0].data must hold only numbers"},
  };
  for (const Case& c : cases) {
    HttpResponse response = infer(c.body);
    EXPECT_EQ(response.status, 400) << c.body;
    EXPECT_EQ(Json::parse(response.body)["error"], c.message) << c.body;
  }
  EXPECT_EQ(v2_.Infer(Request("unknown", "{}")).status, 404);
}

}  // namespace
}  // namespace conveyor::serving
