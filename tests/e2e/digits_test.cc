// End-to-end: the bundled handwritten-digits example (issue 3) through the
// real binary and the real stage programs: load -> preprocess -> train ->
// evaluate.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::ShellQuote;

size_t Position(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << "missing '" << needle << "' in:\n" << text;
  return at;
}

TEST(DigitsExampleTest, RunsTheFourStagesAndClearsTheAccuracyBar) {
  testing::TempDir dir;
  ASSERT_EQ(testing::Shell(dir.path(),
                           "cp -r " + ShellQuote(CONVEYOR_SOURCE_DIR) + "/examples/digits/. ."),
            0);
  std::string env = testing::StageProgramsOnPath();
  ASSERT_EQ(RunConveyor(dir.path(), "init --no-scm", env).exit_code, 0);

  auto first = RunConveyor(dir.path(), "repro", env);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_LT(Position(first.err, "Running stage 'load'"),
            Position(first.err, "Running stage 'preprocess'"));
  EXPECT_LT(Position(first.err, "Running stage 'preprocess'"),
            Position(first.err, "Running stage 'train'"));
  EXPECT_LT(Position(first.err, "Running stage 'train'"),
            Position(first.err, "Running stage 'evaluate'"));

  std::string lock = ReadFile(dir / "dvc.lock");
  for (const char* stage : {"  load:\n", "  preprocess:\n", "  train:\n", "  evaluate:\n"}) {
    EXPECT_NE(lock.find(stage), std::string::npos) << stage;
  }
  auto metrics = nlohmann::json::parse(ReadFile(dir / "metrics.json"));
  for (const char* field :
       {"accuracy", "macro_precision", "macro_recall", "macro_f1", "per_class"}) {
    EXPECT_TRUE(metrics.contains(field)) << field << " in " << metrics.dump();
  }
  EXPECT_GE(metrics["accuracy"].get<double>(), 0.93);
  EXPECT_TRUE(fs::exists(dir / "model/model.yaml"));
  EXPECT_TRUE(fs::exists(dir / "plots/confusion.json"));

  auto second = RunConveyor(dir.path(), "repro", env);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "Data and pipelines are up to date.\n");

  std::string params = ReadFile(dir / "params.yaml");
  size_t at = params.find("max_depth: ");
  ASSERT_NE(at, std::string::npos) << params;
  size_t end = params.find('\n', at);
  params.replace(at, end - at, "max_depth: 3");
  testing::WriteFile(dir / "params.yaml", params);
  auto third = RunConveyor(dir.path(), "repro", env);
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(third.err.find("Running stage 'load'"), std::string::npos) << third.err;
  EXPECT_EQ(third.err.find("Running stage 'preprocess'"), std::string::npos) << third.err;
  Position(third.err, "Running stage 'train'");
  Position(third.err, "Running stage 'evaluate'");
}

}  // namespace
}  // namespace conveyor
