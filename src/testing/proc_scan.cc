#include "testing/proc_scan.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

namespace conveyor::testing {

std::vector<pid_t> ListProcesses() {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos)
      pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

// Plain read(2): a process that exits between open and read makes the read
// fail with ESRCH, which an ifstream turns into an exception.
std::string ReadProcFile(pid_t pid, const char* name) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return {};
  std::string text;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
    text.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return n < 0 ? std::string() : text;
}

bool ProcessEnded(pid_t pid) {
  // The state is the field after the command name, which is in parentheses
  // and may hold spaces.
  const std::string stat = ReadProcFile(pid, "stat");
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z';
}

}  // namespace conveyor::testing
