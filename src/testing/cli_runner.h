// Runs the real `conveyor` binary (path from $CONVEYOR_BIN) in a directory and
// captures what it printed, for end-to-end tests.
#pragma once

#include <filesystem>
#include <string>

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

// Runs a shell command in `cwd` and returns its exit code; aborts on failure
// to start. For test set-up (git init, touch, ...).
int Shell(const std::filesystem::path& cwd, const std::string& command);

// Single-quotes `text` for /bin/sh.
std::string ShellQuote(const std::string& text);

}  // namespace conveyor::testing
