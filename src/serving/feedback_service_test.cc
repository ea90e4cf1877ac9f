#include "serving/feedback_service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "serving/test_digits_registry.h"

namespace conveyor::serving {
namespace {

using Json = nlohmann::json;

// The digits model served by a ModelService whose predictions the tracker
// sees, as `conveyor serve` wires them.
class FeedbackServiceTest : public testing::DigitsRegistryTest {
 protected:
  void SetUp() override {
    DigitsRegistryTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    predicting_ = std::make_unique<ModelService>(*manager_, *metas_store_, "digits", InputLimits{},
                                                 &tracker_);
    feedback_ = std::make_unique<FeedbackService>(*manager_, tracker_);
  }

  // Predicts the sample image as request `id`; returns the label.
  std::string Predict(const std::string& id) {
    HttpRequest request;
    request.method = "POST";
    request.headers["content-type"] = "multipart/form-data; boundary=XyZ";
    request.body = PngForm();
    request.request_id = id;
    HttpResponse response = predicting_->Predict(request);
    EXPECT_EQ(response.status, 200) << response.body;
    return Json::parse(response.body).value("label", "");
  }

  HttpResponse Send(const std::string& body) {
    HttpRequest request;
    request.method = "POST";
    request.body = body;
    return feedback_->Handle(request);
  }

  FeedbackTracker tracker_;
  std::unique_ptr<FeedbackService> feedback_;
  std::unique_ptr<ModelService> predicting_;
};

TEST_F(FeedbackServiceTest, JoinsOneAndManyAndCountsOutcomes) {
  EXPECT_EQ(Send(R"({"request_id": "a", "label": "1"})").status, 503) << "no model yet";
  ASSERT_TRUE(manager_->Replace("digits@1").ok());
  std::string said = Predict("a");
  ASSERT_FALSE(said.empty());
  Predict("b");
  std::string other = said == "3" ? "4" : "3";

  HttpResponse one = Send(R"({"request_id": "a", "label": ")" + said + R"("})");
  ASSERT_EQ(one.status, 200) << one.body;
  Json answer = Json::parse(one.body);
  EXPECT_EQ(answer["accepted"], 1);
  EXPECT_EQ(answer["correct"], 1);
  EXPECT_EQ(answer["results"][0]["predicted"], said);
  EXPECT_EQ(answer["results"][0]["model_version"], 1);

  // A batch; an integer label; a duplicate and an unknown id.
  HttpResponse many = Send(R"([{"request_id": "b", "label": )" + other +
                           R"(}, {"request_id": "a", "label": "0"},
                               {"request_id": "nope", "label": "0"}])");
  ASSERT_EQ(many.status, 200) << many.body;
  answer = Json::parse(many.body);
  EXPECT_EQ(answer["accepted"], 1);
  EXPECT_EQ(answer["wrong"], 1);
  EXPECT_EQ(answer["duplicate"], 1);
  EXPECT_EQ(answer["unknown_request"], 1);
  EXPECT_EQ(answer["results"][2]["outcome"], "unknown_request");
  EXPECT_TRUE(answer["results"][2]["predicted"].is_null());

  FeedbackReport report = tracker_.Report("digits", 1);
  EXPECT_EQ(report.window_outcomes, 2u);
  EXPECT_EQ(report.window_correct, 1u);
}

TEST_F(FeedbackServiceTest, ABadItemRejectsTheWholeBodyNamingIt) {
  ASSERT_TRUE(manager_->Replace("digits@1").ok());
  Predict("a");
  struct Row {
    std::string body;
    int status;
    std::string says;
  };
  for (const Row& row : std::vector<Row>{
           {"not json", 400, "not JSON"},
           {"[]", 422, "a batch holds 1 to 10000 items, not 0"},
           {"42", 422, "body: expected an object"},
           {R"({"label": "1"})", 422, "body: request_id must be"},
           {R"({"request_id": "", "label": "1"})", 422, "request_id must be a non-empty"},
           {R"({"request_id": "a"})", 422, "label must be a string or an integer"},
           {R"({"request_id": "a", "label": 1.5})", 422, "label must be"},
           {R"({"request_id": "a", "label": "cat"})", 422,
            "label 'cat' is not one of the model's labels (0, 1, 2"},
           {R"({"request_id": "a", "label": "1", "row": -1})", 422, "row must be a whole number"},
           {R"({"request_id": "a", "label": "1", "extra": 1})", 422, "unknown field 'extra'"},
           {R"([{"request_id": "a", "label": "1"}, {"request_id": "a", "label": "x"}])", 422,
            "item 1: label 'x'"},
       }) {
    HttpResponse response = Send(row.body);
    EXPECT_EQ(response.status, row.status) << row.body << " -> " << response.body;
    EXPECT_NE(response.body.find(row.says), std::string::npos)
        << row.body << " -> " << response.body;
  }
  // Nothing of the rejected batches counted: item 0 of the last one was valid.
  FeedbackReport report = tracker_.Report("digits", 1);
  EXPECT_EQ(report.window_outcomes, 0u);
  EXPECT_TRUE(report.totals.empty());
}

}  // namespace
}  // namespace conveyor::serving
