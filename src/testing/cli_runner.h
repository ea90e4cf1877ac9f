// Runs the real `conveyor` binary (path from $CONVEYOR_BIN) in a directory and
// captures what it printed, for end-to-end tests.
#pragma once

#include <filesystem>
#include <string>

#include "common/subprocess.h"

namespace conveyor::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `conveyor <args>` with `cwd` as the working directory. `args` is shell
// text (quote as needed). Extra environment assignments may prefix it through
// `env` ("CONVEYOR_X=1 ").
CliResult RunConveyor(const std::filesystem::path& cwd, const std::string& args,
                      const std::string& env = "");

// An `env` prefix for RunConveyor that puts the example stage programs
// (<build>/bin, found from $CONVEYOR_BIN = <build>/src/cli/conveyor) first
// on PATH, as `make demo` does.
std::string StageProgramsOnPath();

// Runs a shell command in `cwd` and returns its exit code; aborts on failure
// to start. For test set-up (git init, touch, ...).
int Shell(const std::filesystem::path& cwd, const std::string& command);

// Single-quotes `text` for /bin/sh (common/subprocess.h).
using conveyor::ShellQuote;

}  // namespace conveyor::testing
