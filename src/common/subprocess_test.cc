#include "common/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

TEST(ShellRunnerTest, ReportsExitCodeAndRunsInTheWorkingDirectory) {
  testing::TempDir dir;
  ShellRunner runner;
  auto result = runner.Run({"pwd > where.txt; exit 3", dir.path(), ""});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_FALSE(result->ok());
  EXPECT_EQ(result->Describe(), "exited with code 3");
  EXPECT_EQ(testing::ReadFile(dir / "where.txt"), dir.path().string() + "\n");
}

TEST(ShellRunnerTest, ReportsTheSignalThatKilledTheCommand) {
  ShellRunner runner;
  auto result = runner.Run({"kill -9 $$", "/", ""});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->signal, 9);
  EXPECT_EQ(result->Describe(), "was killed by signal 9 (Killed)");
}

TEST(ShellRunnerTest, PrefixesEveryCapturedLine) {
  testing::TempDir dir;
  // Redirect our stdout into a file for the duration of the run.
  std::fflush(stdout);
  int saved = ::dup(STDOUT_FILENO);
  FILE* capture = std::fopen((dir / "out.txt").c_str(), "w");
  ASSERT_NE(capture, nullptr);
  ::dup2(::fileno(capture), STDOUT_FILENO);
  ShellRunner runner;
  auto result = runner.Run({"echo one; echo two >&2; printf three", "/", "[train] "});
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  std::fclose(capture);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(testing::ReadFile(dir / "out.txt"), "[train] one\n[train] two\n[train] three\n");
}

// conveyor ignores SIGXFSZ (cli/app.cc); a stage command past its file-size
// limit is killed by it as it would be run by hand.
TEST(ShellRunnerTest, CommandsGetTheDefaultFileSizeSignal) {
  testing::TempDir dir;
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &previous), 0);
  ShellRunner runner;
  auto result = runner.Run({"ulimit -f 1 && head -c 8192 /dev/zero > big.bin", dir.path(), ""});
  ::sigaction(SIGXFSZ, &previous, nullptr);
  ASSERT_TRUE(result.ok()) << result.status().message();
  // The shell reports its child's death by signal as 128 + the signal.
  EXPECT_EQ(result->exit_code, 128 + SIGXFSZ);
}

TEST(ShellRunnerTest, MissingWorkingDirectoryFailsTheCommand) {
  ShellRunner runner;
  auto result = runner.Run({"true", "/nonexistent/dir", "[x] "});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 127);
}

}  // namespace
}  // namespace conveyor
