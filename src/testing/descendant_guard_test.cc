#include "testing/descendant_guard.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "testing/cli_runner.h"
#include "testing/proc_scan.h"
#include "testing/temp_dir.h"

namespace conveyor::testing {
namespace {

namespace fs = std::filesystem;

// Whether `pid` runs (a zombie does not: an orphan waits for init to reap it).
bool Alive(pid_t pid) { return !ProcessEnded(pid); }

// Waits up to 10 s for `pid` to be gone; whether it went.
bool GoneWithin10s(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Alive(pid)) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// What a forked owner does once its sleep runs.
enum class Then {
  kExit,
  kWaitForKill,
  // Forks a child that keeps running without exec (so it holds the watcher's
  // pipe open after the owner dies), writes its pid to `pid_file`.holder,
  // then waits to be killed. The holder carries no mark the watcher can see
  // (setenv changes memory, not /proc/<pid>/environ), so the test kills it.
  kForkAHolderAndWaitForKill,
};

// A forked owner guards itself, starts `sleep` in the background through the
// shell (so the sleep is soon nobody's child but init's) and writes its pid
// to `pid_file`, then does `then`. The sleep's pid.
pid_t StartOwner(const fs::path& pid_file, Then then, pid_t& owner) {
  owner = ::fork();
  if (owner == 0) {
    StartDescendantWatcher();
    if (then == Then::kForkAHolderAndWaitForKill) {
      const pid_t holder = ::fork();
      if (holder == 0) {
        while (true)
          ::pause();
      }
      WriteFile(pid_file.string() + ".holder", std::to_string(holder));
    }
    const std::string command = "sleep 300 </dev/null >/dev/null 2>&1 & echo $! >" +
                                ShellQuote(pid_file.string() + ".tmp") + " && mv " +
                                ShellQuote(pid_file.string() + ".tmp") + " " +
                                ShellQuote(pid_file.string());
    if (std::system(command.c_str()) != 0)
      ::_exit(1);
    while (then != Then::kExit)
      ::pause();
    ::_exit(0);
  }
  for (int i = 0; i < 500 && !fs::exists(pid_file); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return fs::exists(pid_file) ? static_cast<pid_t>(std::stol(ReadFile(pid_file))) : -1;
}

TEST(DescendantGuardTest, AnOrphanDiesWhenItsOwnerIsKilled) {
  TempDir dir;
  pid_t owner = -1;
  const pid_t sleeper = StartOwner(dir / "pid", Then::kWaitForKill, owner);
  ASSERT_GT(sleeper, 0);
  ASSERT_TRUE(Alive(sleeper));
  ASSERT_TRUE(Alive(owner)) << "the owner waits to be killed";
  // What ctest's timeout does: SIGKILL to the test process alone.
  ASSERT_EQ(::kill(owner, SIGKILL), 0);
  ::waitpid(owner, nullptr, 0);
  EXPECT_TRUE(GoneWithin10s(sleeper)) << "sleep " << sleeper << " outlived its owner";
}

TEST(DescendantGuardTest, AnOrphanDiesWhenItsOwnerExits) {
  TempDir dir;
  pid_t owner = -1;
  const pid_t sleeper = StartOwner(dir / "pid", Then::kExit, owner);
  ASSERT_GT(sleeper, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(owner, &status, 0), owner);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(GoneWithin10s(sleeper)) << "sleep " << sleeper << " outlived its owner";
}

TEST(DescendantGuardTest, AForkedChildHoldingThePipeDoesNotDelayTheCleanUp) {
  TempDir dir;
  pid_t owner = -1;
  const pid_t sleeper = StartOwner(dir / "pid", Then::kForkAHolderAndWaitForKill, owner);
  ASSERT_GT(sleeper, 0);
  const pid_t holder = static_cast<pid_t>(std::stol(ReadFile(dir / "pid.holder")));
  ASSERT_EQ(::kill(owner, SIGKILL), 0);
  ::waitpid(owner, nullptr, 0);
  EXPECT_TRUE(GoneWithin10s(sleeper)) << "sleep " << sleeper << " outlived its owner";
  ::kill(holder, SIGKILL);
}

TEST(DescendantGuardTest, OnlyTheDeadOwnersProcessesAreKilled) {
  // This binary's own background process carries this binary's mark, not
  // the forked owner's, and survives the owner.
  TempDir dir;
  ASSERT_EQ(Shell(dir.path(), "sleep 300 </dev/null >/dev/null 2>&1 & echo $! >mine"), 0);
  const pid_t mine = static_cast<pid_t>(std::stol(ReadFile(dir / "mine")));
  pid_t owner = -1;
  const pid_t theirs = StartOwner(dir / "theirs", Then::kExit, owner);
  ASSERT_GT(theirs, 0);
  ::waitpid(owner, nullptr, 0);
  EXPECT_TRUE(GoneWithin10s(theirs));
  EXPECT_TRUE(Alive(mine));
  ::kill(mine, SIGKILL);
}

}  // namespace
}  // namespace conveyor::testing
