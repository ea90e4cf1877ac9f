#include "serving/model_service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cache/hasher.h"
#include "ml/gray_image.h"
#include "registry/sqlite_store.h"
#include "serving/model_loader.h"
#include "serving/test_digits_registry.h"
#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// A project whose registry has the digits model as the output of
// experiment "aaa1111" (digits v1), a model manager loading from it, and the
// service's handlers called directly (the transport has its own tests).
class ModelServiceTest : public testing::DigitsRegistryTest {
 protected:
  HttpRequest Post(std::string content_type, std::string body) {
    HttpRequest request;
    request.method = "POST";
    request.headers["content-type"] = std::move(content_type);
    request.body = std::move(body);
    request.request_id = "req-1";
    return request;
  }

  // The sample image as a PNG upload in a multipart body.
  HttpRequest PngUpload() { return Post("multipart/form-data; boundary=XyZ", PngForm()); }

  HttpResponse Replace(const std::string& tag) {
    HttpRequest request = Post("", "");
    request.query["tag"] = tag;
    return service_->ReplaceModel(request);
  }
};

TEST_F(ModelServiceTest, NotReadyUntilAModelIsLoaded) {
  EXPECT_EQ(service_->Health({}).status, 200);
  HttpResponse ready = service_->Ready({});
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(Json::parse(ready.body)["error"]["code"], "not_ready");
  EXPECT_EQ(service_->Predict(PngUpload()).status, 503);
}

TEST_F(ModelServiceTest, ReplaceThenPredictAnUploadedImage) {
  HttpResponse replaced = Replace("aaa1111");
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  Json report = Json::parse(replaced.body);
  EXPECT_TRUE(report["replaced"].is_null());
  EXPECT_EQ(report["by"]["name"], "digits");
  EXPECT_EQ(report["by"]["version"], 1);
  EXPECT_EQ(report["by"]["tag"], "aaa1111");
  EXPECT_GE(report["load_seconds"].get<double>(), 0.0);
  EXPECT_EQ(service_->Ready({}).status, 200);

  HttpResponse predicted = service_->Predict(PngUpload());
  ASSERT_EQ(predicted.status, 200) << predicted.body;
  Json answer = Json::parse(predicted.body);
  EXPECT_EQ(answer["label"], sample_.expected_label);
  EXPECT_EQ(answer["probabilities"].size(), 10u);
  EXPECT_EQ(answer["model"]["tag"], "aaa1111");
  EXPECT_EQ(answer["request_id"], "req-1");

  // The same pixels as JSON features give the same answer.
  Json features;
  features["features"] = sample_.pixels;
  HttpResponse json = service_->Predict(Post("application/json", features.dump()));
  ASSERT_EQ(json.status, 200) << json.body;
  EXPECT_EQ(Json::parse(json.body)["class"], answer["class"]);

  // A second replace by a JSON body reports what it replaced.
  HttpResponse again = service_->ReplaceModel(Post("application/json", R"({"tag":"aaa1111"})"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Json::parse(again.body)["replaced"]["version"], 1);
}

TEST_F(ModelServiceTest, BadRequestsGetJsonErrorsAndTheModelKeepsServing) {
  ASSERT_EQ(Replace("aaa1111").status, 200);
  struct Case {
    HttpResponse response;
    int status;
    std::string code;
  };
  const Case cases[] = {
      {service_->Predict(Post("text/plain", "hello")), 415, ""},
      {service_->Predict(Post("application/json", "{not json")), 422, ""},
      {service_->Predict(Post("multipart/form-data; boundary=XyZ", "--XyZ\r\nnever ends")), 422,
       ""},
      {Replace("nosuchtag"), 404, "replace_failed"},
      {Replace("../etc/passwd"), 422, "invalid_tag"},
      {service_->ReplaceModel(Post("application/json", "[1]")), 422, "invalid_request"},
      {service_->ReplaceModel(Post("", "")), 422, "invalid_request"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.response.status, c.status) << c.response.body;
    Json error = Json::parse(c.response.body);
    ASSERT_TRUE(error["error"]["message"].is_string()) << c.response.body;
    if (!c.code.empty()) {
      EXPECT_EQ(error["error"]["code"], c.code) << c.response.body;
    }
  }
  EXPECT_EQ(service_->Predict(PngUpload()).status, 200);
  EXPECT_EQ(Json::parse(service_->Ready({}).body)["model"]["version"], 1);
}

TEST_F(ModelServiceTest, ExperimentMetasListTheRegistry) {
  HttpRequest request;
  request.query["limit"] = "10";
  HttpResponse metas = service_->ExperimentMetas(request);
  ASSERT_EQ(metas.status, 200) << metas.body;
  Json list = Json::parse(metas.body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["tag"], "aaa1111");
  EXPECT_EQ(list[0]["metrics"]["metrics.json"]["accuracy"], 0.94);
  EXPECT_EQ(list[0]["models"][0]["version"], 1);
  request.query["limit"] = "0";
  HttpResponse bad = service_->ExperimentMetas(request);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json::parse(bad.body)["error"]["code"], "invalid_query");
}

}  // namespace
}  // namespace conveyor::serving
