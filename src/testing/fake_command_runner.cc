#include "testing/fake_command_runner.h"

namespace conveyor::testing {

void FakeCommandRunner::On(const std::string& command, Script script) {
  std::lock_guard<std::mutex> lock(mu_);
  scripts_[command] = std::move(script);
}

Result<CommandResult> FakeCommandRunner::Run(const CommandSpec& spec) {
  Script script;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ran_.push_back(spec.command);
    auto it = scripts_.find(spec.command);
    if (it != scripts_.end())
      script = it->second;
  }
  if (script.effect)
    script.effect(spec.cwd);
  CommandResult result;
  result.exit_code = script.exit_code;
  return result;
}

std::vector<std::string> FakeCommandRunner::commands() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ran_;
}

}  // namespace conveyor::testing
