// End-to-end: bad input gets one clear error line, exit status 1 (2 for
// usage), and loses nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "testing/cli_runner.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::WriteFile;

class ErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(RunConveyor(dir_.path(), "init --no-scm").exit_code, 0); }

  // Runs `args`, expects exit status `code` and exactly `error` on stderr.
  void ExpectError(const std::string& args, int code, const std::string& error) {
    auto result = RunConveyor(dir_.path(), args);
    EXPECT_EQ(result.exit_code, code) << result.err;
    EXPECT_EQ(result.err, "conveyor: error: " + error + "\n");
  }

  testing::TempDir dir_;
};

TEST_F(ErrorsTest, Cycle) {
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n"
            "  a:\n    cmd: cp b.txt a.txt\n    deps: [b.txt]\n    outs: [a.txt]\n"
            "  b:\n    cmd: cp a.txt b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n");
  ExpectError("repro", 1, "dependency cycle: a -> b -> a");
  ExpectError("status", 1, "dependency cycle: a -> b -> a");
}

TEST_F(ErrorsTest, DependencyNobodyProduces) {
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n  train:\n    cmd: cat data.csv\n    deps:\n    - data.csv\n");
  ExpectError("repro", 1,
              "dvc.yaml:5:7: stage 'train': dependency 'data.csv' does not exist and no stage "
              "produces it");
}

TEST_F(ErrorsTest, TwoStagesWithTheSameOutput) {
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n"
            "  a:\n    cmd: echo 1 > out.txt\n    outs: [out.txt]\n"
            "  b:\n    cmd: echo 2 > out.txt\n    outs: [out.txt]\n");
  ExpectError("repro", 1,
              "output 'out.txt' is produced by both stage 'a' (dvc.yaml:2:3) and stage 'b' "
              "(dvc.yaml:5:3)");
}

TEST_F(ErrorsTest, OutputInsideAnotherOutput) {
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n"
            "  a:\n    cmd: mkdir -p data\n    outs: [data]\n"
            "  b:\n    cmd: echo 2 > data/x\n    outs: [data/x]\n");
  ExpectError("repro", 1,
              "output 'data/x' of stage 'b' (dvc.yaml:5:3) lies inside output 'data' of stage "
              "'a' (dvc.yaml:2:3)");
}

TEST_F(ErrorsTest, MalformedYamlNamesLineAndColumn) {
  WriteFile(dir_ / "dvc.yaml", "stages:\n  a:\n    cmd: [echo\n    outs: x\n");
  auto result = RunConveyor(dir_.path(), "repro");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err.rfind("conveyor: error: dvc.yaml:", 0), 0u) << result.err;
}

TEST_F(ErrorsTest, UnknownKeySuggestsTheNearestOne) {
  WriteFile(dir_ / "dvc.yaml", "stages:\n  a:\n    cmd: echo hi\n    ouds: [x]\n");
  auto result = RunConveyor(dir_.path(), "repro");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("dvc.yaml:4:5"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("'outs'"), std::string::npos) << result.err;
}

TEST_F(ErrorsTest, UndefinedVariable) {
  WriteFile(dir_ / "params.yaml", "train:\n  lr: 0.1\n");
  WriteFile(dir_ / "dvc.yaml", "stages:\n  a:\n    cmd: echo ${train.rate}\n");
  auto result = RunConveyor(dir_.path(), "repro");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("dvc.yaml:3:10"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("train.rate"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(dir_ / "dvc.lock"));
}

TEST_F(ErrorsTest, MissingParamsKey) {
  WriteFile(dir_ / "params.yaml", "train:\n  lr: 0.1\n");
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n  a:\n    cmd: echo hi > a.txt\n    params:\n    - train.lr_decay\n"
            "    outs: [a.txt]\n");
  auto result = RunConveyor(dir_.path(), "repro");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("train.lr_decay"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("stage 'a'"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(dir_ / "a.txt"));
}

TEST_F(ErrorsTest, UsageErrorsExitWithTwo) {
  auto result = RunConveyor(dir_.path(), "repro --jobs 0");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err.rfind("conveyor: error: ", 0), 0u) << result.err;
  EXPECT_EQ(RunConveyor(dir_.path(), "no-such-command").exit_code, 2);
  EXPECT_EQ(RunConveyor(dir_.path(), "").exit_code, 2);
}

TEST_F(ErrorsTest, UnknownTargetSuggestsAStage) {
  WriteFile(dir_ / "dvc.yaml", "stages:\n  train:\n    cmd: echo hi\n");
  ExpectError("repro trian", 1, "no stage named 'trian' (did you mean 'train'?)");
}

TEST_F(ErrorsTest, OutsideAProject) {
  testing::TempDir elsewhere;
  auto result = RunConveyor(elsewhere.path(), "status");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("not inside a project"), std::string::npos);
}

// Starts `conveyor repro` in the background and returns its pid.
pid_t StartRepro(const fs::path& dir) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    if (::chdir(dir.c_str()) != 0)
      ::_exit(126);
    FILE* out = std::freopen("repro.out", "w", stdout);
    FILE* err = std::freopen("repro.err", "w", stderr);
    (void)out;
    (void)err;
    const char* binary = std::getenv("CONVEYOR_BIN");
    ::execl(binary, binary, "repro", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// Waits (at most 10 s) for `path` to appear.
bool WaitFor(const fs::path& path) {
  for (int i = 0; i < testing::ScaledCount(200); ++i) {
    if (fs::exists(path))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class InterruptTest : public ErrorsTest {
 protected:
  // `first` finishes at once; `second` signals that it started, then waits
  // for release.txt (at most 10 s) before writing its output.
  void WritePipeline() {
    WriteFile(dir_ / "dvc.yaml",
              "stages:\n"
              "  first:\n"
              "    cmd: echo one > first.txt\n"
              "    outs: [first.txt]\n"
              "  second:\n"
              "    cmd: touch started && i=0; while [ ! -f release.txt ] && [ $i -lt 200 ]; do "
              "sleep 0.05; i=$((i+1)); done; cat first.txt > second.txt\n"
              "    deps: [first.txt]\n"
              "    outs: [second.txt]\n");
  }

  void ExpectCleanCache() {
    for (auto& entry : fs::recursive_directory_iterator(dir_ / ".dvc/cache")) {
      EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
          << "temporary file left in the cache: " << entry.path();
    }
  }
};

TEST_F(InterruptTest, SigkillMidRunLeavesAValidLockAndTheNextRunFinishes) {
  WritePipeline();
  pid_t pid = StartRepro(dir_.path());
  ASSERT_TRUE(WaitFor(dir_ / "started"));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  // The orphaned stage command lives on in its own group; end it too.
  testing::Shell(dir_.path(), "touch release.txt");
  // Its output written, it is done, and cannot write over the rerun's.
  EXPECT_TRUE(testing::WaitUntil(std::chrono::milliseconds(10000),
                                 [&] { return ReadFile(dir_ / "second.txt") == "one\n"; }));

  std::string lock = ReadFile(dir_ / "dvc.lock");
  EXPECT_NE(lock.find("  first:\n"), std::string::npos) << lock;
  EXPECT_EQ(lock.find("  second:\n"), std::string::npos) << lock;
  ExpectCleanCache();

  fs::remove(dir_ / "second.txt");
  auto again = RunConveyor(dir_.path(), "repro");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("Stage 'first' didn't change, skipping"), std::string::npos);
  EXPECT_NE(ReadFile(dir_ / "dvc.lock").find("  second:\n"), std::string::npos);
  EXPECT_EQ(RunConveyor(dir_.path(), "status").out, "Data and pipelines are up to date.\n");
}

TEST_F(InterruptTest, SigintStopsTheStageAndRecordsNothingForIt) {
  WritePipeline();
  pid_t pid = StartRepro(dir_.path());
  ASSERT_TRUE(WaitFor(dir_ / "started"));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(ReadFile(dir_ / "repro.err").find("interrupted"), std::string::npos)
      << ReadFile(dir_ / "repro.err");
  EXPECT_EQ(ReadFile(dir_ / "dvc.lock").find("  second:\n"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "second.txt"));
  ExpectCleanCache();

  testing::WriteFile(dir_ / "release.txt", "");
  auto again = RunConveyor(dir_.path(), "repro");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReadFile(dir_ / "second.txt"), "one\n");
}

}  // namespace
}  // namespace conveyor
