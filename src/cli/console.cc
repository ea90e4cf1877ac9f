#include "cli/console.h"

#include <unistd.h>

#include <cerrno>

namespace conveyor::cli {

Console::Console(int verbosity) : verbosity_(verbosity), stdout_tty_(::isatty(STDOUT_FILENO)) {}

void Console::Write(int fd, std::string_view text) {
  std::string line(text);
  if (line.empty() || line.back() != '\n')
    line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

void Console::Out(std::string_view text) { Write(STDOUT_FILENO, text); }

void Console::Note(std::string_view text) {
  if (verbosity_ >= 0)
    Write(STDERR_FILENO, text);
}

void Console::Detail(std::string_view text) {
  if (verbosity_ >= 1)
    Write(STDERR_FILENO, text);
}

void Console::Warn(std::string_view text) {
  if (verbosity_ >= 0)
    Write(STDERR_FILENO, fmt::format("conveyor: warning: {}", text));
}

void Console::Error(std::string_view text) {
  Write(STDERR_FILENO, fmt::format("conveyor: error: {}", text));
}

}  // namespace conveyor::cli
