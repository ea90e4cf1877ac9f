// The command-line front end: one table of subcommands, each delegating to a
// domain class. Exit codes: 0 success, 1 failure, 2 usage error.
#pragma once

namespace conveyor::cli {

int Main(int argc, char** argv);

}  // namespace conveyor::cli
