// A CommandRunner that runs nothing: it records each command and performs a
// scripted effect instead (write a file, fail with a code), so pipeline tests
// assert on what would have run without starting processes.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/subprocess.h"

namespace conveyor::testing {

class FakeCommandRunner : public CommandRunner {
 public:
  // What a command does when "run": an effect on the file system (may be
  // empty) and the exit code to report.
  struct Script {
    std::function<void(const std::filesystem::path& cwd)> effect;
    int exit_code = 0;
  };

  // Scripts `command`; unscripted commands succeed and do nothing.
  void On(const std::string& command, Script script);

  Result<CommandResult> Run(const CommandSpec& spec) override;

  // Every command run so far, in order.
  std::vector<std::string> commands() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Script> scripts_;  // guarded by mu_
  std::vector<std::string> ran_;           // guarded by mu_
};

}  // namespace conveyor::testing
