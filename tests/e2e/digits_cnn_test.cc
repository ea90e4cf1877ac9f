// End-to-end: the digits-cnn example (issue 3, "A second example"): the C++
// load and preprocess stages, a PyTorch CNN trained by stages/train.py and
// exported to ONNX, and digits-evaluate running it through OpenCV DNN. Skipped
// where /usr/bin/python3 has no torch (CI does not install python3-torch).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "testing/cli_runner.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::ShellQuote;

TEST(DigitsCnnExampleTest, TrainsTheCnnAndEvaluatesItsOnnxExport) {
  testing::TempDir dir;
  if (testing::Shell(dir.path(), "/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch (apt-get install python3-torch)";
  }
  const std::string source = ShellQuote(CONVEYOR_SOURCE_DIR);
  ASSERT_EQ(testing::Shell(dir.path(), "cp -r " + source + "/examples/digits-cnn/. . && cp " +
                                           source + "/examples/digits/data/digits.png data/"),
            0);
  std::string env = testing::StageProgramsOnPath();
  ASSERT_EQ(RunConveyor(dir.path(), "init --no-scm", env).exit_code, 0);

  auto first = RunConveyor(dir.path(), "repro", env);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  for (const char* stage : {"load", "preprocess", "train", "evaluate"}) {
    EXPECT_NE(first.err.find("Running stage '" + std::string(stage) + "'"), std::string::npos)
        << stage << " in:\n"
        << first.err;
  }
  auto metrics = nlohmann::json::parse(ReadFile(dir / "metrics.json"));
  EXPECT_GE(metrics["accuracy"].get<double>(), 0.95) << metrics.dump();
  EXPECT_EQ(metrics["test_samples"].get<int>(), 1000);
  const std::string spec = ReadFile(dir / "model/model.yaml");
  EXPECT_NE(spec.find("backend: onnx\nmodel_file: model.onnx\n"), std::string::npos) << spec;
  EXPECT_TRUE(fs::exists(dir / "model/model.onnx"));

  auto second = RunConveyor(dir.path(), "repro", env);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "Data and pipelines are up to date.\n");

  // conveyor.yaml declares the model, so the run registered it: serve the
  // CNN through the ONNX backend and classify the example's sample digit.
  testing::ServeProcess server(dir.path());
  server.Start("--no-auth --threads 2");
  ASSERT_FALSE(HasFatalFailure());
  auto [predicted, status] = server.Curl(
      "-F file=@" + source + "/examples/digits/sample-digit.pgm " + server.url() + "/predict");
  EXPECT_EQ(status, 200) << predicted.dump();
  EXPECT_EQ(predicted["label"], "7") << predicted.dump();
  EXPECT_EQ(predicted["model"]["name"], "digits-cnn");
  EXPECT_EQ(server.Stop(), "0\n");
}

}  // namespace
}  // namespace conveyor
