// RunStage: the shared main() of the digits stage programs.
//
// Parses the command line with `app`, then runs `body`. Exit status: 0 on
// success (and for --help), 1 when `body` fails, 2 on a usage error. Errors
// are one line on stderr: "<program>: error: <message>".
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string_view>

#include "common/status.h"

namespace conveyor::digits {

int RunStage(CLI::App& app, int argc, char** argv, const std::function<Status()>& body);

// Creates the parent directory of `path` if it has one.
Status MakeParentDirs(const std::filesystem::path& path);

}  // namespace conveyor::digits
