// End-to-end: `conveyor serve` on the digits example's trained model, driven
// by the real curl over loopback: /predict with an uploaded image, hot
// replacement, experiment metas, errors, and a graceful SIGTERM.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "testing/cli_runner.h"
#include "testing/sample_png.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;
using testing::ShellQuote;

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TrainDigitsProject(CONVEYOR_SOURCE_DIR, dir_.path(), env_);
    ASSERT_FALSE(HasFatalFailure());
    testing::WriteSamplePng(dir_ / "model/model.yaml", dir_ / "sample.png", expected_label_);
    ASSERT_FALSE(HasFatalFailure());
    server_.emplace(dir_.path());
    url_ = server_->url();
  }

  void Start(const std::string& flags = "--no-auth --threads 2") { server_->Start(flags); }
  std::string Stop() { return server_->Stop(); }
  std::pair<Json, int> Curl(const std::string& args) { return server_->Curl(args); }

  testing::TempDir dir_;
  std::string env_;
  std::string expected_label_;
  std::optional<testing::ServeProcess> server_;
  std::string url_;
};

TEST_F(ServeTest, PredictsReplacesListsAndStopsGracefully) {
  Start();
  ASSERT_FALSE(HasFatalFailure());

  auto [predicted, status] = Curl("-F file=@sample.png " + url_ + "/predict");
  ASSERT_EQ(status, 200) << predicted.dump();
  EXPECT_EQ(predicted["label"], expected_label_);
  EXPECT_EQ(predicted["model"]["name"], "digits");
  EXPECT_EQ(predicted["model"]["version"], 1);
  EXPECT_EQ(predicted["probabilities"].size(), 10u);
  EXPECT_FALSE(predicted["request_id"].get<std::string>().empty());

  auto [metas, metas_status] = Curl(url_ + "/get_experiment_metas");
  ASSERT_EQ(metas_status, 200);
  ASSERT_EQ(metas.size(), 1u);
  std::string tag = metas[0]["tag"];
  EXPECT_EQ(metas[0]["models"][0]["name"], "digits");
  EXPECT_TRUE(metas[0]["metrics"]["metrics.json"].contains("accuracy"));

  auto [replaced, replace_status] = Curl("-X POST '" + url_ + "/replace_ml_model?tag=" + tag + "'");
  ASSERT_EQ(replace_status, 200) << replaced.dump();
  EXPECT_EQ(replaced["by"]["tag"], tag);

  // Errors are JSON with the right status, and the server keeps serving.
  EXPECT_EQ(Curl("-X POST '" + url_ + "/replace_ml_model?tag=nope'").second, 404);
  EXPECT_EQ(Curl("-H 'Content-Type: text/plain' -d hi " + url_ + "/predict").second, 415);
  EXPECT_EQ(Curl("-F file=@dvc.yaml " + url_ + "/predict").second, 415);
  EXPECT_EQ(Curl("-F other=@sample.png -F more=@sample.png " + url_ + "/predict").second, 422);
  EXPECT_EQ(Curl(url_ + "/nowhere").second, 404);
  // The Open Inference Protocol: readiness and a tensor request.
  EXPECT_EQ(Curl(url_ + "/v2/models/digits/ready").second, 200);
  Json infer;
  infer["inputs"] = {{{"name", "pixels"},
                      {"shape", {1, 400}},
                      {"datatype", "FP32"},
                      {"data", std::vector<int>(400, 0)}}};
  testing::WriteFile(dir_ / "infer.json", infer.dump());
  auto [inferred, infer_status] =
      Curl("-H 'Content-Type: application/json' --data-binary @infer.json " + url_ +
           "/v2/models/digits/infer");
  ASSERT_EQ(infer_status, 200) << inferred.dump();
  EXPECT_EQ(inferred["outputs"][0]["shape"][1], 10);
  EXPECT_EQ(Curl("-F file=@sample.png " + url_ + "/predict").second, 200);

  EXPECT_EQ(Stop(), "0\n");
  std::string log = ReadFile(dir_ / "serve.err");
  EXPECT_NE(log.find("\"route\":\"/predict\""), std::string::npos) << log;
  EXPECT_NE(log.find("Stopped."), std::string::npos) << log;
}

TEST_F(ServeTest, BatchesConcurrentRequestsWithoutMixingAnswers) {
  Start("--no-auth --threads 8 --batch-size 8 --batch-delay-us 2000 --backend-threads 1");
  ASSERT_FALSE(HasFatalFailure());
  // 24 uploads at once, each answer in its own file: all 200 and the sample's
  // label, whichever batch carried them.
  ASSERT_EQ(Shell(dir_.path(),
                  "for i in $(seq 24); do curl -s -o answer.$i -w '%{http_code}\\n' "
                  "-F file=@sample.png " +
                      url_ + "/predict >code.$i & done; wait"),
            0);
  for (int i = 1; i <= 24; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(ReadFile(dir_ / ("code." + n)), "200\n") << "request " << n;
    Json answer = Json::parse(ReadFile(dir_ / ("answer." + n)), nullptr, false);
    EXPECT_EQ(answer["label"], expected_label_) << answer.dump();
  }
  EXPECT_EQ(Stop(), "0\n");
}

TEST_F(ServeTest, AnUnknownModelFailsBeforeListening) {
  auto serve = RunConveyor(
      dir_.path(), "serve --no-auth -m digits@nosuch --port " + url_.substr(url_.rfind(':') + 1),
      env_);
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_NE(serve.err.find("nosuch"), std::string::npos) << serve.err;
}

}  // namespace
}  // namespace conveyor
