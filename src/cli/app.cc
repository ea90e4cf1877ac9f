#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/version.h"

namespace conveyor::cli {

int Main(int argc, char** argv) {
  CLI::App app{"conveyor: DVC-compatible pipelines, data versioning and model serving"};
  app.set_version_flag("--version", std::string("conveyor ") + CONVEYOR_VERSION);
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace conveyor::cli
