// End-to-end: the registry travels through a remote. `conveyor push` in a
// trained digits project uploads the model objects and experiment records;
// `conveyor serve --remote` in an empty directory (no project, no Git) lists
// the experiments, serves a model by tag, swaps to another, and follows an
// alias promoted and pushed after it started (by /replace_ml_model, and by
// itself when it follows the alias); `conveyor pull` in a fresh
// clone brings the experiments into that clone's registry.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "testing/cli_runner.h"
#include "testing/sample_png.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;

class ServeRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(project_);
    fs::create_directories(server_dir_);
    testing::TrainDigitsProject(CONVEYOR_SOURCE_DIR, project_, env_);
    ASSERT_FALSE(HasFatalFailure());
    testing::WriteSamplePng(project_ / "model/model.yaml", server_dir_ / "sample.png",
                            expected_label_);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_EQ(Run("remote add -d store " + (dir_ / "store").string()).exit_code, 0);
  }

  testing::CliResult Run(const std::string& args) { return RunConveyor(project_, args, env_); }

  // The experiment tags in the project's registry, oldest first.
  std::vector<std::string> Tags() {
    auto shown = Run("exp show --json");
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    std::vector<std::string> tags;
    Json json = Json::parse(shown.out, nullptr, false);
    for (const Json& experiment : json) {
      tags.push_back(experiment["tag"]);
    }
    std::reverse(tags.begin(), tags.end());  // exp show lists newest first
    return tags;
  }

  testing::TempDir dir_;
  fs::path project_ = dir_ / "project";
  fs::path server_dir_ = dir_ / "server";
  std::string env_;
  std::string expected_label_;
};

TEST_F(ServeRemoteTest, PushedRegistryIsServedWithoutACheckout) {
  auto push = Run("push --json");
  ASSERT_EQ(push.exit_code, 0) << push.err;
  Json pushed = Json::parse(push.out, nullptr, false);
  ASSERT_TRUE(pushed.is_object()) << push.out;
  EXPECT_EQ(pushed["registry"]["experiments_pushed"], 1) << push.out;

  auto run = Run("exp run -S train.max_depth=2 -n shallow");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto again = Run("push");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("Registry: 1 experiment pushed, 1 already on the remote"),
            std::string::npos)
      << again.out;
  std::vector<std::string> tags = Tags();
  ASSERT_EQ(tags.size(), 2U);
  EXPECT_EQ(tags[1], "shallow");

  // An empty directory: no .dvc, no Git, no conveyor.yaml.
  testing::ServeProcess server(server_dir_);
  server.Start("--no-auth --remote " + (dir_ / "store").string() + " --state-dir state -m digits@" +
               tags[0]);
  ASSERT_FALSE(HasFatalFailure());
  auto [predicted, status] = server.Curl("-F file=@sample.png " + server.url() + "/predict");
  ASSERT_EQ(status, 200) << predicted.dump();
  EXPECT_EQ(predicted["label"], expected_label_);
  EXPECT_EQ(predicted["model"]["version"], 1);

  auto [metas, metas_status] = server.Curl(server.url() + "/get_experiment_metas");
  ASSERT_EQ(metas_status, 200);
  ASSERT_EQ(metas.size(), 2U) << metas.dump();
  EXPECT_EQ(metas[0]["tag"], "shallow");
  EXPECT_EQ(metas[0]["params"]["params.yaml"]["train.max_depth"], 2);

  auto [swapped, swap_status] =
      server.Curl("-X POST '" + server.url() + "/replace_ml_model?tag=shallow'");
  ASSERT_EQ(swap_status, 200) << swapped.dump();
  EXPECT_EQ(
      server.Curl("-F file=@sample.png " + server.url() + "/predict").first["model"]["version"], 2);

  // Promoted and pushed after the server started: the next swap sees it.
  auto promote = Run("model promote digits@" + tags[0] + " production");
  ASSERT_EQ(promote.exit_code, 0) << promote.err;
  ASSERT_EQ(Run("push").exit_code, 0);
  auto [promoted, promoted_status] =
      server.Curl("-X POST '" + server.url() + "/replace_ml_model?tag=production'");
  ASSERT_EQ(promoted_status, 200) << promoted.dump();
  EXPECT_EQ(
      server.Curl("-F file=@sample.png " + server.url() + "/predict").first["model"]["version"], 1);

  // A tag the remote does not have is a 404 that says so; the model stays.
  EXPECT_EQ(server.Curl("-X POST '" + server.url() + "/replace_ml_model?tag=nope'").second, 404);
  EXPECT_EQ(server.Stop(), "0\n") << ReadFile(server_dir_ / "serve.err");
  EXPECT_NE(ReadFile(server_dir_ / "serve.err").find("Mirroring"), std::string::npos);
  EXPECT_TRUE(fs::exists(server_dir_ / "state" / "registry.db"));
}

// A server with no checkout following `production` on the remote: a
// promotion pushed from the project reaches it by itself.
TEST_F(ServeRemoteTest, AFollowerSwapsWhenAPromotionIsPushed) {
  ASSERT_EQ(Run("exp run -S train.max_depth=2 -n shallow").exit_code, 0);
  std::vector<std::string> tags = Tags();
  ASSERT_EQ(tags.size(), 2U);
  ASSERT_EQ(Run("model promote digits@" + tags[0] + " production").exit_code, 0);
  ASSERT_EQ(Run("push").exit_code, 0);

  testing::ServeProcess server(server_dir_);
  server.Start("--no-auth --remote " + (dir_ / "store").string() +
               " --state-dir state -m digits@production --follow-interval 0.3");
  ASSERT_FALSE(HasFatalFailure());
  auto served = [&] {
    return server.Curl("-F file=@sample.png " + server.url() + "/predict")
        .first["model"]["tag"]
        .get<std::string>();
  };
  EXPECT_EQ(served(), tags[0]);
  ASSERT_EQ(Run("model promote digits@shallow production").exit_code, 0);
  ASSERT_EQ(Run("push").exit_code, 0);
  bool swapped = false;
  for (int i = 0; i < testing::ScaledCount(150) && !swapped; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    swapped = served() == "shallow";
  }
  EXPECT_TRUE(swapped) << ReadFile(server_dir_ / "serve.err");
  EXPECT_EQ(server.Stop(), "0\n");
}

TEST_F(ServeRemoteTest, PullBringsExperimentsIntoAFreshClone) {
  ASSERT_EQ(Run("push").exit_code, 0);
  const fs::path clone = dir_ / "clone";
  ASSERT_EQ(Shell(dir_.path(), "git clone -q project clone"), 0);
  ASSERT_EQ(RunConveyor(clone, "remote add -d store " + (dir_ / "store").string()).exit_code, 0);
  auto pull = RunConveyor(clone, "pull", env_);
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_NE(pull.out.find("Registry: 1 experiment and 0 versions imported"), std::string::npos)
      << pull.out;
  auto show = RunConveyor(clone, "model show digits@" + Tags()[0] + " --json", env_);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(Json::parse(show.out, nullptr, false)["version"], 1) << show.out;
  // Pulled again: nothing new.
  auto again = RunConveyor(clone, "pull", env_);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out.find("Registry:"), std::string::npos) << again.out;
}

TEST_F(ServeRemoteTest, RemoteServeErrorsNameTheProblem) {
  // Nothing pushed yet: no models to pick a default from.
  auto empty = RunConveyor(server_dir_, "serve --no-auth --remote " + (dir_ / "store").string() +
                                            " --state-dir state --port 0");
  EXPECT_EQ(empty.exit_code, 2) << empty.err;
  EXPECT_NE(empty.err.find("no models"), std::string::npos) << empty.err;
  auto bad_option =
      RunConveyor(server_dir_, "serve --no-auth --remote s3://bucket/x --remote-option nope=1");
  EXPECT_NE(bad_option.exit_code, 0) << bad_option.err;
  EXPECT_NE(bad_option.err.find("nope"), std::string::npos) << bad_option.err;
  auto both = RunConveyor(server_dir_, "serve --no-auth --remote /x --registry sqlite:r.db");
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.err.find("exclude"), std::string::npos) << both.err;
  auto name = RunConveyor(server_dir_, "serve --no-auth --remote store");
  EXPECT_NE(name.exit_code, 0);
  EXPECT_NE(name.err.find("neither a URL"), std::string::npos) << name.err;
}

}  // namespace
}  // namespace conveyor
