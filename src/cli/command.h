// One subcommand of the CLI. Each command lives in its own file, declares its
// flags in Configure and does its work in Run by calling a domain class; the
// table in commands.cc lists them all, and app.cc only parses and dispatches.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "cli/console.h"
#include "common/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace conveyor::cli {

// Options every command sees.
struct GlobalOptions {
  std::filesystem::path cwd;  // where conveyor was started
  int verbosity = 0;          // -v raises, -q lowers
};

class Command {
 public:
  virtual ~Command() = default;
  virtual std::string_view Name() const = 0;
  // One line for the command list.
  virtual std::string_view Summary() const = 0;
  // Declares the command's flags and positional arguments on `app`, and adds
  // an example to its --help footer.
  virtual void Configure(CLI::App& app) = 0;
  // Runs after a successful parse. A kUsage error exits with status 2, any
  // other error with status 1.
  virtual Status Run(const GlobalOptions& global, Console& console) = 0;
};

// Every command, in the order `conveyor --help` lists them.
std::vector<std::unique_ptr<Command>> AllCommands();

}  // namespace conveyor::cli
