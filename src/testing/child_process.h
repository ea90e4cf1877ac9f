// The real `conveyor` binary ($CONVEYOR_BIN) started in the background, so a
// test can kill it at a chosen moment (crash-consistency tests).
//
// The child runs in its own process group. Stage commands run in process
// groups of their own (common/subprocess.h) and outlive a SIGKILL of
// conveyor, so Kill() also finds and kills what conveyor left behind: the
// test process is made a child subreaper (prctl PR_SET_CHILD_SUBREAPER), the
// orphans become its children, and every child it has is killed and reaped.
// Use from a test's main thread only, with no other children running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace conveyor::testing {

class ConveyorChild {
 public:
  // Starts `conveyor <args>` (no shell) in `cwd`, stdin from /dev/null,
  // stdout and stderr appended to `log`. Aborts the test binary if it cannot
  // fork (test set-up is not the thing under test).
  ConveyorChild(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                const std::filesystem::path& log);
  // Kills and reaps the child (and its orphans) if still running.
  ~ConveyorChild();
  ConveyorChild(const ConveyorChild&) = delete;
  ConveyorChild& operator=(const ConveyorChild&) = delete;

  // Waits up to `timeout` for the child to exit. Its exit code, 128 + the
  // signal that ended it, or -1 if it is still running.
  int WaitFor(std::chrono::milliseconds timeout);

  // SIGKILL to the child's process group, then to every other child of this
  // process (the orphaned stage commands) and their groups; reaps them all
  // (bounded: gives up after 10 s). Returns whether the child was still
  // running when killed.
  bool Kill();

 private:
  pid_t pid_ = -1;
  int status_ = -1;  // exit code once reaped
};

}  // namespace conveyor::testing
