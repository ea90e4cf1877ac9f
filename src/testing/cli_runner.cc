#include "testing/cli_runner.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "testing/temp_dir.h"

namespace conveyor::testing {

int Shell(const std::filesystem::path& cwd, const std::string& command) {
  std::string full = "cd " + ShellQuote(cwd.string()) + " && ( " + command + " )";
  int status = std::system(full.c_str());
  if (status == -1) {
    std::perror("system");
    std::abort();
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string StageProgramsOnPath() {
  const char* binary = std::getenv("CONVEYOR_BIN");
  if (binary == nullptr) {
    std::fprintf(stderr, "CONVEYOR_BIN is not set; run the test through ctest\n");
    std::abort();
  }
  std::filesystem::path bin =
      std::filesystem::path(binary).parent_path().parent_path().parent_path() / "bin";
  return "PATH=" + ShellQuote(bin.string()) + ":\"$PATH\" ";
}

CliResult RunConveyor(const std::filesystem::path& cwd, const std::string& args,
                      const std::string& env) {
  const char* binary = std::getenv("CONVEYOR_BIN");
  if (binary == nullptr) {
    std::fprintf(stderr, "CONVEYOR_BIN is not set; run the test through ctest\n");
    std::abort();
  }
  TempDir capture;
  std::string command = env + ShellQuote(binary) + " " + args + " > " +
                        ShellQuote((capture / "out").string()) + " 2> " +
                        ShellQuote((capture / "err").string()) + " < /dev/null";
  CliResult result;
  result.exit_code = Shell(cwd, command);
  result.out = ReadFile(capture / "out");
  result.err = ReadFile(capture / "err");
  return result;
}

}  // namespace conveyor::testing
