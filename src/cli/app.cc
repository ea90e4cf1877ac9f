#include "cli/app.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <system_error>

#include "cli/command.h"
#include "cli/version.h"

namespace conveyor::cli {

int Main(int argc, char** argv) {
  // Past a file-size limit (ulimit -f) a write fails with EFBIG, reported as
  // "File too large" like a full disk, rather than SIGXFSZ killing conveyor
  // half-way through a write and leaving its temporary file behind. Stage
  // commands get the default back (common/subprocess.cc).
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{
      "conveyor runs DVC pipelines unchanged, as one native program: it reads and writes\n"
      "dvc.yaml, dvc.lock, .dvc files and DVC's cache, so DVC and conveyor agree on what\n"
      "is up to date.",
      "conveyor"};
  app.set_version_flag("--version", std::string("conveyor ") + CONVEYOR_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // -v and -q also work after the subcommand
  app.footer(
      "Examples:\n"
      "  conveyor init                 start a project in a Git repository\n"
      "  conveyor repro                run the stages whose inputs changed\n"
      "  conveyor status               say which stages changed, and why\n"
      "  conveyor COMMAND --help       flags and an example for one command\n"
      "\nExit status: 0 success, 1 failure, 2 usage error.");

  GlobalOptions global;
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "Say more (repeat for even more)");
  app.add_flag("-q,--quiet", quiet, "Say only results and errors");

  std::vector<std::unique_ptr<Command>> commands = AllCommands();
  Command* chosen = nullptr;
  for (const std::unique_ptr<Command>& command : commands) {
    CLI::App* sub =
        app.add_subcommand(std::string(command->Name()), std::string(command->Summary()));
    command->Configure(*sub);
    sub->callback([&chosen, raw = command.get()] { chosen = raw; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, like every other error; the hint names where help is.
    std::fputs(fmt::format("conveyor: error: {} (see 'conveyor --help')\n", e.what()).c_str(),
               stderr);
    return 2;
  }

  global.verbosity = quiet ? -1 : verbose;
  std::error_code ec;
  global.cwd = std::filesystem::current_path(ec);
  Console console(global.verbosity);
  if (ec) {
    console.Error(fmt::format("cannot read the current directory: {}", ec.message()));
    return 1;
  }
  if (chosen == nullptr)
    return 2;
  Status status = chosen->Run(global, console);
  if (status.ok())
    return 0;
  console.Error(status.message());
  return status.code() == Code::kUsage ? 2 : 1;
}

}  // namespace conveyor::cli
