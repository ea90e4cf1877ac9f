// End-to-end: `conveyor serve` on the digits example's trained model, driven
// by the real curl over loopback: /predict with an uploaded image, hot
// replacement, experiment metas, errors, and a graceful SIGTERM.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "ml/gray_image.h"
#include "ml/model_spec.h"
#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;
using testing::ShellQuote;

// A port nothing listens on right now (the kernel's pick for port 0).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Shell(dir_.path(), "cp -r " + ShellQuote(CONVEYOR_SOURCE_DIR) +
                                     "/examples/digits/. . && git init -q ."),
              0);
    env_ = testing::StageProgramsOnPath();
    ASSERT_EQ(RunConveyor(dir_.path(), "init", env_).exit_code, 0);
    ASSERT_EQ(Shell(dir_.path(),
                    "git add -A && git -c user.name=a -c user.email=a@b commit -qm "
                    "digits"),
              0);
    auto repro = RunConveyor(dir_.path(), "repro", env_);
    ASSERT_EQ(repro.exit_code, 0) << repro.err;
    // The spec's sample input as an uploadable PNG.
    auto spec = ml::ReadModelSpec(dir_ / "model/model.yaml");
    ASSERT_TRUE(spec.ok()) << spec.status().message();
    expected_label_ = spec->sample_input.expected_label;
    ml::GrayImage image = ml::MakeGrayImage(spec->input.rows, spec->input.cols);
    for (size_t i = 0; i < image.pixels.size(); ++i)
      image.pixels[i] = static_cast<uint8_t>(spec->sample_input.pixels[i]);
    ASSERT_TRUE(ml::WritePng(dir_ / "sample.png", image).ok());
    port_ = FreePort();
    url_ = "http://127.0.0.1:" + std::to_string(port_);
  }

  // Starts the server in the background; its exit status lands in `rc`.
  void Start() {
    std::string command = "(" + ShellQuote(std::getenv("CONVEYOR_BIN")) + " serve --port " +
                          std::to_string(port_) +
                          " --threads 2 >serve.out 2>serve.err; echo $? >rc) & echo $! >pid";
    ASSERT_EQ(Shell(dir_.path(), command), 0);
    for (int i = 0; i < 200; ++i) {  // up to 20 s
      if (Shell(dir_.path(), "curl -sf -o /dev/null " + url_ + "/readyz") == 0)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "server not ready: " << ReadFile(dir_ / "serve.err");
  }

  // Sends SIGTERM to `conveyor serve` and waits (bounded) for its exit status.
  std::string Stop() {
    Shell(dir_.path(), "pkill -TERM -P $(cat pid) -f 'conveyor serve' || true");
    for (int i = 0; i < 150 && !fs::exists(dir_ / "rc"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return fs::exists(dir_ / "rc") ? ReadFile(dir_ / "rc") : "(still running)";
  }

  // curl's output (body, then the status code on a last line).
  std::pair<Json, int> Curl(const std::string& args) {
    Shell(dir_.path(), "curl -s -o body.json -w '%{http_code}' " + args + " >code");
    Json body = Json::parse(ReadFile(dir_ / "body.json"), nullptr, false);
    return {body, std::stoi(ReadFile(dir_ / "code"))};
  }

  testing::TempDir dir_;
  std::string env_;
  std::string expected_label_;
  int port_ = 0;
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

TEST_F(ServeTest, AnUnknownModelFailsBeforeListening) {
  auto serve =
      RunConveyor(dir_.path(), "serve -m digits@nosuch --port " + std::to_string(port_), env_);
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_NE(serve.err.find("nosuch"), std::string::npos) << serve.err;
}

}  // namespace
}  // namespace conveyor
