// Running shell commands: the CommandRunner seam and its real implementation.
//
// Stage commands run through `/bin/sh -c`, as DVC runs them, each in its own
// process group so that an interrupt reaches the whole command tree.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "common/status.h"

namespace conveyor {

// Single-quotes `text` for /bin/sh: 'it'\''s'.
std::string ShellQuote(const std::string& text);

struct CommandSpec {
  std::string command;        // passed to /bin/sh -c
  std::filesystem::path cwd;  // working directory
  // When empty, the command shares our stdout and stderr. Otherwise its output
  // is captured and written line by line, each line prefixed with this text
  // (used when stages run in parallel).
  std::string output_prefix;
};

struct CommandResult {
  int exit_code = 0;  // valid when signal == 0
  int signal = 0;     // the signal that ended the command, or 0

  bool ok() const { return signal == 0 && exit_code == 0; }
  // "exited with code 3" / "was killed by signal 9 (Killed)".
  std::string Describe() const;
};

// Runs commands. Implementations used by the pipeline must allow concurrent
// Run calls from several threads.
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Runs the command to completion. A non-zero exit is a CommandResult, not
  // an error; errors are failures to start it at all.
  virtual Result<CommandResult> Run(const CommandSpec& spec) = 0;
};

// The real runner: fork + exec of /bin/sh. Thread-safe. Prefixed output from
// concurrent commands is interleaved by whole lines, never mid-line. The
// command starts with SIGINT, SIGTERM, SIGHUP and SIGXFSZ at their default
// dispositions, whatever conveyor does with them (it ignores SIGXFSZ).
class ShellRunner : public CommandRunner {
 public:
  Result<CommandResult> Run(const CommandSpec& spec) override;
};

// Installs SIGINT/SIGTERM/SIGHUP handlers that forward the signal to every
// running command's process group and record it, so the caller can stop
// between stages and exit cleanly. Idempotent.
void InstallInterruptHandlers();

// The signal received since InstallInterruptHandlers, or 0.
int InterruptSignal();

// Makes SIGHUP a reload request rather than an interrupt, as daemons use it
// (`conveyor serve` re-reads its TLS certificate). Call after
// InstallInterruptHandlers; the caller polls ReloadRequests() and acts when
// it grows.
void InstallReloadHandler();

// SIGHUPs received since InstallReloadHandler.
uint64_t ReloadRequests();

}  // namespace conveyor
