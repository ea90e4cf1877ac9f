// Where the CLI's words go: results to stdout, progress and notes to stderr,
// errors to stderr as one line "conveyor: error: ...". Knows whether stdout is
// a terminal, and the verbosity the user asked for.
//
// Thread safety: every method may be called from several threads; lines are
// written whole.
#pragma once

#include <fmt/core.h>

#include <mutex>
#include <string>
#include <string_view>

namespace conveyor::cli {

class Console {
 public:
  explicit Console(int verbosity);

  // A result line on stdout (always shown; quiet mode keeps results).
  void Out(std::string_view text);
  // A progress or status note on stderr, shown at verbosity >= 0.
  void Note(std::string_view text);
  // Detail on stderr, shown with -v.
  void Detail(std::string_view text);
  // "conveyor: warning: ..." on stderr, shown unless -q.
  void Warn(std::string_view text);
  // "conveyor: error: ..." on stderr, always shown.
  void Error(std::string_view text);

  int verbosity() const { return verbosity_; }
  bool stdout_is_terminal() const { return stdout_tty_; }

 private:
  void Write(int fd, std::string_view text);

  const int verbosity_;
  const bool stdout_tty_;
  std::mutex mu_;  // serialises writes
};

}  // namespace conveyor::cli
