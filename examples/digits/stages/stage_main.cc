#include "stage_main.h"

#include <fmt/core.h>

#include <cstdio>
#include <exception>
#include <system_error>

namespace conveyor::digits {

int RunStage(CLI::App& app, int argc, char** argv, const std::function<Status()>& body) {
  const std::string program = app.get_name();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "{}: error: {}\nRun '{} --help' for usage.\n", program, e.what(), program);
    return 2;
  }
  Status status;
  try {
    status = body();
  } catch (const std::exception& e) {
    status = Error(Code::kInternal, "unexpected exception: {}", e.what());
  }
  if (!status.ok()) {
    fmt::print(stderr, "{}: error: {}\n", program, status.message());
    return status.code() == Code::kUsage ? 2 : 1;
  }
  return 0;
}

Status MakeParentDirs(const std::filesystem::path& path) {
  if (!path.has_parent_path()) {
    return OkStatus();
  }
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return Error(Code::kIo, "cannot create {}: {}", path.parent_path().string(), ec.message());
  }
  return OkStatus();
}

}  // namespace conveyor::digits
