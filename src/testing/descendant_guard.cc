#include "testing/descendant_guard.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "testing/proc_scan.h"

namespace conveyor::testing {
namespace {

constexpr char kVariable[] = "CONVEYOR_TEST_OWNER";

// Whether `entries` (NUL-terminated, as in /proc/<pid>/environ) holds
// exactly the entry `mark`.
bool CarriesMark(const std::string& entries, const std::string& mark) {
  for (size_t start = 0; start < entries.size();) {
    const size_t end = entries.find('\0', start);
    const size_t length = (end == std::string::npos ? entries.size() : end) - start;
    if (entries.compare(start, length, mark) == 0)
      return true;
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return false;
}

// SIGKILLs every process but this one that carries `mark`; how many.
int KillMarked(const std::string& mark) {
  const pid_t self = ::getpid();
  int killed = 0;
  for (pid_t pid : ListProcesses()) {
    if (pid != self && CarriesMark(ReadProcFile(pid, "environ"), mark) && ::kill(pid, SIGKILL) == 0)
      ++killed;
  }
  return killed;
}

[[noreturn]] void Watch(int read_end, pid_t owner, const std::string& mark) {
  // Out of the owner's process group, so a signal to that group leaves the
  // watcher to do its work; stdin, stdout and stderr on /dev/null, so the
  // watcher never holds ctest's output pipe open.
  ::setpgid(0, 0);
  const int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
  }
  // Nothing is ever written to the pipe: it reads EOF once no process holds
  // the write end. A child the owner forked and left running without exec
  // would still hold it, so the owner itself is looked at every 200 ms too.
  pollfd pipe_end{read_end, POLLIN, 0};
  while (!ProcessEnded(owner)) {
    char byte = 0;
    if (::poll(&pipe_end, 1, 200) > 0 && ::read(read_end, &byte, 1) == 0)
      break;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (KillMarked(mark) > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // _exit: no atexit handlers or leak check of the copied test binary.
  ::_exit(0);
}

}  // namespace

void StartDescendantWatcher() {
  const pid_t owner_pid = ::getpid();
  const std::string owner = std::to_string(owner_pid);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::perror("GuardDescendants: pipe2");
    std::abort();
  }
  ::setenv(kVariable, owner.c_str(), 1);
  // Forked twice, so the watcher is not our child: ConveyorChild::Kill()
  // kills every child of this process, and waitpid(-1) would reap it.
  const pid_t middle = ::fork();
  if (middle < 0) {
    std::perror("GuardDescendants: fork");
    std::abort();
  }
  if (middle == 0) {
    ::close(fds[1]);
    if (::fork() == 0)
      Watch(fds[0], owner_pid, std::string(kVariable) + "=" + owner);
    ::_exit(0);
  }
  ::close(fds[0]);
  ::waitpid(middle, nullptr, 0);
  // fds[1] stays open, unwritten, until this process ends.
}

void GuardDescendants() {
  static const bool started = [] {
    StartDescendantWatcher();
    return true;
  }();
  (void)started;
}

}  // namespace conveyor::testing
