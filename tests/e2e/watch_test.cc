// `conveyor watch` end to end: the real binary listening on loopback, curl
// posting Alertmanager payloads, a real shell command as the run, and a CI
// pipeline started on the local fake of GitLab's API.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "ci/testing/fake_gitlab.h"
#include "testing/alert_payload.h"
#include "testing/cli_runner.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::ReadFile;
using testing::Shell;
using testing::ShellQuote;

class WatchTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (fs::exists(dir_ / "pid"))
      Stop();
  }

  // Starts `conveyor watch FLAGS` in the background (env: a "VAR=value "
  // prefix) and waits for its /healthz.
  void Start(const std::string& flags, const std::string& env) {
    port_ = std::to_string(testing::FreePort());
    ASSERT_EQ(Shell(dir_.path(), "(" + env + ShellQuote(std::getenv("CONVEYOR_BIN")) +
                                     " watch -p " + port_ + " " + flags +
                                     " >watch.out 2>watch.err; echo $? >rc) & echo $! >pid"),
              0);
    for (int i = 0; i < testing::ScaledCount(100); ++i) {
      if (Shell(dir_.path(), "curl -sf -o /dev/null http://127.0.0.1:" + port_ + "/healthz") == 0)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "watch not ready: " << ReadFile(dir_ / "watch.err");
  }

  // Posts `payload` to the hook with `token`; the HTTP code.
  int Post(const std::string& payload, const std::string& token) {
    testing::WriteFile(dir_ / "alert.json", payload);
    Shell(dir_.path(), "curl -s -o body.json -w '%{http_code}' -H 'Authorization: Bearer " + token +
                           "' -H 'Content-Type: application/json' --data-binary @alert.json "
                           "http://127.0.0.1:" +
                           port_ + "/hooks/alertmanager >code");
    return std::stoi(ReadFile(dir_ / "code"));
  }

  std::string Stop() {
    Shell(dir_.path(), "pkill -TERM -P $(cat pid) -f 'conveyor watch'");
    for (int i = 0; i < testing::ScaledCount(100) && !fs::exists(dir_ / "rc"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fs::remove(dir_ / "pid");
    return fs::exists(dir_ / "rc") ? ReadFile(dir_ / "rc") : "(still running)";
  }

  bool WaitForFile(const fs::path& file) {
    for (int i = 0; i < testing::ScaledCount(100) && !fs::exists(file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return fs::exists(file);
  }

  testing::TempDir dir_;
  std::string port_;
};

TEST_F(WatchTest, AFiringAlertRunsTheCommandOnceWithoutAModelServer) {
  Start(
      "--retrain-on ConveyorInputDrift --retrain-cooldown 600 --retrain-command "
      "'echo \"$CONVEYOR_RETRAIN_ALERT run $CONVEYOR_RETRAIN_RUN\" >>ran.txt'",
      "CONVEYOR_TOKENS=alertmanager=am-token-0123456789:feedback,"
      "client=client-token-0123456789:predict ");
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Post(testing::AlertPayload("ConveyorInputDrift", "firing"), "wrong"), 401);
  EXPECT_EQ(Post(testing::AlertPayload("ConveyorInputDrift", "firing"), "client-token-0123456789"),
            403);
  EXPECT_EQ(Post(testing::AlertPayload("ConveyorInputDrift", "resolved"), "am-token-0123456789"),
            200);
  EXPECT_EQ(Post(testing::AlertPayload("ConveyorInputDrift", "firing"), "am-token-0123456789"),
            200);
  EXPECT_EQ(Json::parse(ReadFile(dir_ / "body.json"))["started"], true);
  ASSERT_TRUE(WaitForFile(dir_ / "ran.txt"));
  for (int i = 0;
       i < testing::ScaledCount(100) &&
       ReadFile(dir_ / "watch.err").find("retraining run 1 succeeded") == std::string::npos;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // The run is over: a repeat is refused for the cool-down, not for a run.
  EXPECT_EQ(Post(testing::AlertPayload("ConveyorInputDrift", "firing"), "am-token-0123456789"),
            200);
  Json repeat = Json::parse(ReadFile(dir_ / "body.json"));
  EXPECT_EQ(repeat["started"], false);
  EXPECT_NE(repeat["reason"].get<std::string>().find("(cool-down 600 s)"), std::string::npos)
      << repeat.dump();
  EXPECT_EQ(Stop(), "0\n");
  EXPECT_EQ(ReadFile(dir_ / "ran.txt"), "ConveyorInputDrift run 1\n");
  const std::string log = ReadFile(dir_ / "watch.err");
  EXPECT_NE(log.find("Retraining runs 'echo"), std::string::npos) << log;
  EXPECT_NE(log.find("when ConveyorInputDrift fires (POST /hooks/alertmanager; cool-down 600 s)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("retraining run 1 succeeded"), std::string::npos) << log;
  EXPECT_NE(log.find("\"route\":\"/hooks/alertmanager\""), std::string::npos) << "access log";
  EXPECT_EQ(log.find("am-token-0123456789"), std::string::npos) << "no token in the log";
}

TEST_F(WatchTest, AFiringAlertStartsAGitLabPipeline) {
  ci::testing::FakeGitLab gitlab("42", {}, "glpat-unused");
  gitlab.set_trigger_token("glptt-trigger-0123456789");
  ASSERT_TRUE(gitlab.Start().ok());
  Start(
      "--no-auth --retrain-on ConveyorLiveAccuracyLow --retrain-pipeline gitlab:42@main "
      "--retrain-api-url " +
          gitlab.api_url(),
      "CONVEYOR_GITLAB_TRIGGER_TOKEN=glptt-trigger-0123456789 ");
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Post(testing::AlertPayload("ConveyorLiveAccuracyLow", "firing"), ""), 200);
  for (int i = 0; i < testing::ScaledCount(100) && gitlab.pipelines().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(gitlab.pipelines().size(), 1u);
  EXPECT_EQ(gitlab.pipelines()[0].ref, "main");
  EXPECT_EQ(gitlab.pipelines()[0].variables.at("CONVEYOR_RETRAIN_ALERT"),
            "ConveyorLiveAccuracyLow");
  EXPECT_EQ(gitlab.pipelines()[0].variables.at("CONVEYOR_RETRAIN_RUN"), "1");
  EXPECT_EQ(Stop(), "0\n");
  const std::string log = ReadFile(dir_ / "watch.err");
  EXPECT_NE(log.find("retraining run 1 started pipeline 1000 (GitLab project 42 on main): " +
                     gitlab.base_url() + "/group/app/-/pipelines/1000"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("glptt-trigger-0123456789"), std::string::npos);
  EXPECT_TRUE(gitlab.violations().empty());
}

TEST_F(WatchTest, FlagsThatDoNotMakeAWatcherAreUsageErrors) {
  struct Row {
    const char* flags;
    const char* error;
  } rows[] = {
      {"", "nothing to watch for"},
      {"--retrain-on X", "--retrain-on and --retrain-schedule start a run: say what it is"},
      {"--retrain-command true", "a retraining run needs something to start it"},
      {"--retrain-on X --retrain-command true --retrain-pipeline gitlab:1",
       "--retrain-command and --retrain-pipeline are two kinds of run"},
      {"--retrain-schedule '61 * * * *' --retrain-command true",
       "cron '61 * * * *': minute '61' is outside 0-59"},
      {"--retrain-on X --retrain-pipeline jenkins:x", "--retrain-pipeline 'jenkins:x': no forge"},
      {"--retrain-on X --retrain-command true", "no access control configured: conveyor watch"},
      {"--retrain-schedule @daily --retrain-command true --no-auth",
       "--no-auth is for the webhook, which only --retrain-on serves"},
  };
  for (const Row& row : rows) {
    auto result = testing::RunConveyor(dir_.path(), std::string("watch ") + row.flags, "");
    EXPECT_EQ(result.exit_code, 2) << row.flags << ": " << result.err;
    EXPECT_NE(result.err.find(row.error), std::string::npos) << row.flags << ": " << result.err;
  }
  // A pipeline with no token fails before it starts, naming the variable.
  auto no_token = testing::RunConveyor(
      dir_.path(), "watch --retrain-schedule @daily --retrain-pipeline gitlab:42", "");
  EXPECT_EQ(no_token.exit_code, 1) << no_token.err;
  EXPECT_NE(no_token.err.find("set CONVEYOR_GITLAB_TRIGGER_TOKEN"), std::string::npos)
      << no_token.err;
}

}  // namespace
}  // namespace conveyor
