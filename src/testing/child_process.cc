#include "testing/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "testing/proc_scan.h"

namespace conveyor::testing {
namespace {

namespace fs = std::filesystem;

int DecodeStatus(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The pids whose parent is this process, from /proc/<pid>/stat (the field
// after the command name, which is in parentheses and may hold spaces).
std::vector<pid_t> OwnChildren() {
  std::vector<pid_t> children;
  const pid_t self = ::getpid();
  for (pid_t pid : ListProcesses()) {
    const std::string stat = ReadProcFile(pid, "stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos)
      continue;
    std::istringstream fields(stat.substr(paren + 1));
    char state = 0;
    pid_t parent = 0;
    if (fields >> state >> parent && parent == self)
      children.push_back(pid);
  }
  return children;
}

}  // namespace

ConveyorChild::ConveyorChild(const fs::path& cwd, const std::vector<std::string>& args,
                             const fs::path& log) {
  const char* binary = std::getenv("CONVEYOR_BIN");
  if (binary == nullptr) {
    std::fprintf(stderr, "CONVEYOR_BIN is not set; run the test through ctest\n");
    std::abort();
  }
  // Orphaned descendants are reparented to us rather than to init.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  // Everything the child needs is prepared before fork.
  std::vector<std::string> strings = {binary};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : strings)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  const std::string dir = cwd.string();
  const std::string log_path = log.string();
  pid_ = ::fork();
  if (pid_ < 0) {
    std::perror("fork");
    std::abort();
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0 || ::chdir(dir.c_str()) != 0)
      ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
}

ConveyorChild::~ConveyorChild() { Kill(); }

int ConveyorChild::WaitFor(std::chrono::milliseconds timeout) {
  if (pid_ < 0)
    return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      status_ = DecodeStatus(status);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return -1;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

bool ConveyorChild::Kill() {
  const bool running = pid_ >= 0 && WaitFor(std::chrono::milliseconds(0)) == -1;
  if (pid_ >= 0) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_)
      status_ = DecodeStatus(status);
    pid_ = -1;
  }
  // The stage commands conveyor left behind (and theirs, as they die).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (std::vector<pid_t> orphans = OwnChildren();
       !orphans.empty() && std::chrono::steady_clock::now() < deadline; orphans = OwnChildren()) {
    for (pid_t orphan : orphans) {
      ::kill(-orphan, SIGKILL);
      ::kill(orphan, SIGKILL);
      ::waitpid(orphan, nullptr, 0);
    }
  }
  return running;
}

}  // namespace conveyor::testing
