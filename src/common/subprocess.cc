#include "common/subprocess.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <initializer_list>
#include <mutex>

#include "common/file_util.h"

namespace conveyor {

namespace {

// Process groups of running commands, for the signal handler. Lock-free so
// the handler may read it; a slot holds 0 when free.
constexpr size_t kMaxChildren = 256;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{};
std::atomic<int> g_interrupt_signal{0};
std::atomic<uint64_t> g_reload_requests{0};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "read in a signal handler");

void OnReload(int /*signal*/) { g_reload_requests.fetch_add(1); }

void OnInterrupt(int signal) {
  g_interrupt_signal.store(signal);
  for (auto& slot : g_children) {
    pid_t pid = slot.load();
    if (pid > 0)
      ::kill(-pid, signal);
  }
}

class ChildSlot {
 public:
  explicit ChildSlot(pid_t pid) {
    for (auto& slot : g_children) {
      pid_t expected = 0;
      if (slot.compare_exchange_strong(expected, pid)) {
        slot_ = &slot;
        return;
      }
    }
  }
  ~ChildSlot() {
    if (slot_ != nullptr)
      slot_->store(0);
  }
  ChildSlot(const ChildSlot&) = delete;
  ChildSlot& operator=(const ChildSlot&) = delete;

 private:
  std::atomic<pid_t>* slot_ = nullptr;
};

std::mutex g_output_mutex;

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Copies `fd` to stdout line by line with `prefix` before each line.
void PumpPrefixed(int fd, const std::string& prefix) {
  std::string pending;
  char buffer[4096];
  auto flush_lines = [&](bool all) {
    size_t start = 0;
    for (;;) {
      size_t newline = pending.find('\n', start);
      if (newline == std::string::npos)
        break;
      std::lock_guard<std::mutex> lock(g_output_mutex);
      WriteAll(STDOUT_FILENO, prefix);
      WriteAll(STDOUT_FILENO, std::string_view(pending).substr(start, newline + 1 - start));
      start = newline + 1;
    }
    pending.erase(0, start);
    if (all && !pending.empty()) {
      std::lock_guard<std::mutex> lock(g_output_mutex);
      WriteAll(STDOUT_FILENO, prefix);
      WriteAll(STDOUT_FILENO, pending);
      WriteAll(STDOUT_FILENO, "\n");
      pending.clear();
    }
  };
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    pending.append(buffer, static_cast<size_t>(n));
    flush_lines(false);
  }
  flush_lines(true);
}

}  // namespace

std::string CommandResult::Describe() const {
  if (signal != 0)
    return fmt::format("was killed by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exited with code {}", exit_code);
}

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'')
      quoted += "'\\''";
    else
      quoted += c;
  }
  return quoted + "'";
}

Result<CommandResult> ShellRunner::Run(const CommandSpec& spec) {
  int pipe_fds[2] = {-1, -1};
  bool capture = !spec.output_prefix.empty();
  if (capture && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Error(Code::kIo, "cannot create a pipe: {}", ErrnoMessage());
  }
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls are allowed.
  std::string cwd = spec.cwd.string();
  const char* argv[] = {"/bin/sh", "-c", spec.command.c_str(), nullptr};
  pid_t pid = ::fork();
  if (pid < 0) {
    if (capture) {
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
    }
    return Error(Code::kIo, "cannot start a process: {}", ErrnoMessage());
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    ::signal(SIGXFSZ, SIG_DFL);  // conveyor ignores it (cli/app.cc); its commands do not
    if (capture) {
      ::dup2(pipe_fds[1], STDOUT_FILENO);
      ::dup2(pipe_fds[1], STDERR_FILENO);
    }
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      const char message[] = "conveyor: error: cannot enter the stage's working directory\n";
      WriteAll(STDERR_FILENO, message);
      ::_exit(127);
    }
    ::execv("/bin/sh", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  // Also from the parent, so the group exists before any signal is forwarded.
  ::setpgid(pid, pid);
  ChildSlot slot(pid);
  if (capture) {
    ::close(pipe_fds[1]);
    PumpPrefixed(pipe_fds[0], spec.output_prefix);
    ::close(pipe_fds[0]);
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR)
      return Error(Code::kIo, "cannot wait for a process: {}", ErrnoMessage());
  }
  CommandResult result;
  if (WIFSIGNALED(wait_status)) {
    result.signal = WTERMSIG(wait_status);
  } else {
    result.exit_code = WEXITSTATUS(wait_status);
  }
  return result;
}

namespace {

// Calls `handler` on each of `signals`, restarting interrupted system calls.
void HandleSignals(std::initializer_list<int> signals, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal : signals)
    ::sigaction(signal, &action, nullptr);
}

}  // namespace

void InstallInterruptHandlers() { HandleSignals({SIGINT, SIGTERM, SIGHUP}, OnInterrupt); }

int InterruptSignal() { return g_interrupt_signal.load(); }

void InstallReloadHandler() { HandleSignals({SIGHUP}, OnReload); }

uint64_t ReloadRequests() { return g_reload_requests.load(); }

}  // namespace conveyor
