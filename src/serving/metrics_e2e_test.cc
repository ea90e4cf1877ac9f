// /metrics end to end inside the process: the digits model from a real
// registry, a real HttpServer on a loopback port, the service's and the V2
// routes, requests over TCP, then a scrape of GET /metrics.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "serving/http_server.h"
#include "serving/kserve_v2.h"
#include "serving/metrics.h"
#include "serving/metrics_test_util.h"
#include "serving/test_digits_registry.h"
#include "testing/http_client.h"

namespace conveyor::serving {
namespace {

using namespace std::chrono_literals;
using testing::Exposition;
using L = Exposition::Labels;

class MetricsEndToEndTest : public testing::DigitsRegistryTest {
 protected:
  void SetUp() override {
    DigitsRegistryTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    // The fixture's manager and service, observed this time.
    service_.reset();
    manager_ = std::make_unique<ModelManager>(*loader_, ModelManagerOptions{}, &metrics_);
    service_ = std::make_unique<ModelService>(*manager_, *metas_store_, "digits", InputLimits{},
                                              &metrics_);
    v2_ = std::make_unique<KserveV2>(*manager_, "0.1.0", InputLimits{}, &metrics_);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      server_->Stop(1s);
      server_->Wait();
    }
    service_.reset();
    v2_.reset();
    manager_.reset();
  }

  std::string Scrape(conveyor::testing::HttpClient& client) {
    Result<conveyor::testing::HttpReply> reply = client.Request("GET", "/metrics");
    EXPECT_TRUE(reply.ok()) << reply.status().message();
    if (!reply.ok())
      return "";
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    return reply->body;
  }

  ServingMetrics metrics_;
  std::unique_ptr<KserveV2> v2_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(MetricsEndToEndTest, RequestsAndPredictionsByClassAddUp) {
  ASSERT_TRUE(manager_->Replace("digits@aaa1111").ok());
  ASSERT_TRUE(service_->AddRoutes(router_).ok());
  ASSERT_TRUE(v2_->AddRoutes(router_).ok());
  ASSERT_TRUE(metrics_.AddRoute(router_).ok());
  server_ = std::make_unique<HttpServer>(router_, std::vector<RequestObserver*>{&metrics_});
  metrics_.SetInFlightSource([this] { return server_->requests_in_flight(); });
  ASSERT_TRUE(server_->Start({.port = 0, .threads = 2}).ok());
  auto client = conveyor::testing::HttpClient::Connect(server_->port());
  ASSERT_TRUE(client.ok()) << client.status().message();

  auto post = [&](std::string_view target, std::string_view type, std::string_view body) {
    Result<conveyor::testing::HttpReply> reply =
        (*client)->Request("POST", target, body, {{"Content-Type", std::string(type)}});
    EXPECT_TRUE(reply.ok()) << reply.status().message();
    return reply.ok() ? reply->status : 0;
  };
  constexpr int kGood = 5;
  for (int i = 0; i < kGood; ++i)
    EXPECT_EQ(post("/predict", "multipart/form-data; boundary=XyZ", PngForm()), 200);
  nlohmann::json pixels = nlohmann::json::array();
  for (int row = 0; row < 2; ++row)
    for (int value : sample_.pixels)
      pixels.push_back(value);
  nlohmann::json infer = {
      {"inputs",
       {{{"name", "pixels"}, {"shape", {2, 400}}, {"datatype", "UINT8"}, {"data", pixels}}}}};
  EXPECT_EQ(post("/v2/models/digits/infer", "application/json", infer.dump()), 200);
  EXPECT_EQ(post("/predict", "text/plain", "hello"), 415);
  EXPECT_EQ(post("/predict", "text/plain", "again"), 415);
  EXPECT_EQ(post("/predict", "multipart/form-data; boundary=XyZ", "--XyZ\r\nnever ends"), 422);
  EXPECT_EQ(post("/replace_ml_model?tag=zzz9999", "application/json", ""), 404);
  Result<conveyor::testing::HttpReply> missing = (*client)->Request("GET", "/no/such/path");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);

  // A request is reported after its response is written, so the last one
  // may not be counted yet when the scrape runs: scrape until all 11 are.
  const L predict_ok{{"route", "/predict"}, {"method", "POST"}, {"code", "200"}};
  const L unmatched{{"route", "unmatched"}, {"method", "GET"}, {"code", "404"}};
  std::optional<Exposition> e;
  for (int attempt = 0; attempt < 100; ++attempt) {
    e.emplace(Scrape(**client));
    if (e->Value("conveyor_http_requests_total", unmatched) == 1)
      break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(e->Value("conveyor_http_requests_total", predict_ok), kGood);
  EXPECT_EQ(e->Value("conveyor_http_requests_total",
                     L{{"route", "/predict"}, {"method", "POST"}, {"code", "415"}}),
            2);
  EXPECT_EQ(e->Value("conveyor_http_requests_total",
                     L{{"route", "/predict"}, {"method", "POST"}, {"code", "422"}}),
            1);
  EXPECT_EQ(e->Value("conveyor_http_requests_total",
                     L{{"route", "/v2/models/{name}/infer"}, {"method", "POST"}, {"code", "200"}}),
            1);
  EXPECT_EQ(e->Value("conveyor_http_requests_total",
                     L{{"route", "/replace_ml_model"}, {"method", "POST"}, {"code", "404"}}),
            1);
  EXPECT_EQ(e->Value("conveyor_http_requests_total", unmatched), 1);
  EXPECT_FALSE(e->Has("/no/such/path"));
  EXPECT_FALSE(e->Has("/v2/models/digits/infer"));

  // Predictions by class sum to the rows of the successful predictions:
  // 5 uploads of one row and one V2 request of two.
  constexpr int kRows = kGood + 2;
  double by_class = 0;
  for (int label = 0; label < 10; ++label) {
    std::optional<double> count = e->Value(
        "conveyor_predictions_total", L{{"model", "digits"}, {"class", std::to_string(label)}});
    ASSERT_TRUE(count.has_value()) << "class " << label;
    by_class += *count;
  }
  EXPECT_EQ(by_class, kRows);
  EXPECT_EQ(e->Sum("conveyor_predictions_total"), kRows);
  // Every row was the sample, which the model predicts as its expected label.
  EXPECT_EQ(e->Value("conveyor_predictions_total",
                     L{{"model", "digits"}, {"class", sample_.expected_label}}),
            kRows);
  EXPECT_EQ(e->Value("conveyor_prediction_score_count", L{{"model", "digits"}}), kRows);
  EXPECT_EQ(e->Value("conveyor_inference_duration_seconds_count", L{{"model", "digits"}}),
            kGood + 1);

  EXPECT_EQ(e->Value("conveyor_request_errors_total", L{{"kind", "unsupported_media_type"}}), 2);
  EXPECT_EQ(e->Value("conveyor_request_errors_total", L{{"kind", "invalid_input"}}), 1);
  EXPECT_EQ(e->Value("conveyor_request_errors_total", L{{"kind", "replace_failed"}}), 1);
  EXPECT_EQ(e->Value("conveyor_request_errors_total", L{{"kind", "not_found"}}), 1);

  EXPECT_EQ(
      e->Value("conveyor_model_info", L{{"model", "digits"}, {"tag", "aaa1111"}, {"version", "1"}}),
      1);
  EXPECT_EQ(e->Value("conveyor_model_swaps_total", L{{"result", "success"}}), 1);
  EXPECT_EQ(e->Value("conveyor_model_swaps_total", L{{"result", "failure"}}), 1);
  EXPECT_GT(*e->Value("conveyor_model_last_swap_timestamp_seconds", L{}), 1.7e9);
  // The scrape itself is the one request in flight.
  EXPECT_EQ(e->Value("conveyor_http_requests_in_flight", L{}), 1);
  EXPECT_GT(*e->Value("process_resident_memory_bytes", L{}), 0);
}

}  // namespace
}  // namespace conveyor::serving
