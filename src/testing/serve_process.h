// Test helpers for the end-to-end serving tests (header-only; tests run
// through ctest, which sets CONVEYOR_BIN): the digits example trained in a
// temporary Git project, and `conveyor serve` started in the background there
// on a free loopback port, probed with the real curl, and stopped with
// SIGTERM, its exit status kept.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testing/cli_runner.h"
#include "testing/sample_png.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor::testing {

// A port nothing listens on right now (the kernel's pick for port 0).
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// Copies examples/digits from `source` into `dir`, makes it a Git repository
// with one commit and trains it with `conveyor repro` (the model becomes
// digits v1). `env` receives the PATH prefix the stage programs need.
inline void TrainDigitsProject(const std::filesystem::path& source,
                               const std::filesystem::path& dir, std::string& env) {
  ASSERT_EQ(
      Shell(dir, "cp -r " + ShellQuote(source.string()) + "/examples/digits/. . && git init -q ."),
      0);
  env = StageProgramsOnPath();
  ASSERT_EQ(RunConveyor(dir, "init", env).exit_code, 0);
  ASSERT_EQ(Shell(dir, "git add -A && git -c user.name=a -c user.email=a@b commit -qm digits"), 0);
  auto repro = RunConveyor(dir, "repro", env);
  ASSERT_EQ(repro.exit_code, 0) << repro.err;
}

#ifdef CONVEYOR_SOURCE_DIR
// A fixture: the digits example trained (TrainDigitsProject) in dir_, with the
// model's sample input in dir_/sample.png and the label it should get in
// label_.
class TrainedDigitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TrainDigitsProject(CONVEYOR_SOURCE_DIR, dir_.path(), env_);
    ASSERT_FALSE(HasFatalFailure());
    WriteSamplePng(dir_ / "model/model.yaml", dir_ / "sample.png", label_);
  }

  TempDir dir_;
  std::string env_;    // PATH prefix for the stage programs
  std::string label_;  // what the model answers for sample.png
};
#endif

class ServeProcess {
 public:
  // `dir` is the project; the server's stdout, stderr, pid and exit status go
  // to serve.out, serve.err, pid and rc there.
  // `curl_flags` go on every curl this helper runs (the readiness probe
  // included), e.g. "--cacert server.pem" for a server started with TLS;
  // `scheme` is then "https".
  explicit ServeProcess(std::filesystem::path dir, std::string scheme = "http",
                        std::string curl_flags = "")
      : dir_(std::move(dir)),
        url_(scheme + "://127.0.0.1:" + std::to_string(FreePort())),
        curl_flags_(std::move(curl_flags)) {}

  const std::string& url() const { return url_; }

  // Starts `conveyor serve` with `flags` (which must say how to authenticate:
  // --no-auth, --tokens FILE, or CONVEYOR_TOKENS in `env`, a "VAR=value "
  // prefix for the command) and waits (up to 20 s, scaled: time_scale.h)
  // for /readyz (open without a token); fails the test (fatally) with the
  // server's log otherwise.
  void Start(const std::string& flags, const std::string& env = "") {
    const std::string port = url_.substr(url_.rfind(':') + 1);
    const std::string command = "(" + env + ShellQuote(std::getenv("CONVEYOR_BIN")) +
                                " serve --port " + port + " " + flags +
                                " >serve.out 2>serve.err; echo $? >rc) & echo $! >pid";
    ASSERT_EQ(Shell(dir_, command), 0);
    for (int i = 0; i < ScaledCount(200); ++i) {
      if (Shell(dir_, "curl -sf --max-time 5 -o /dev/null " + curl_flags_ + " " + url_ +
                          "/readyz") == 0) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "server not ready: " << ReadFile(dir_ / "serve.err");
  }

  // Sends the signal named `name` ("HUP", "TERM") to the server; true when
  // it was running to receive it.
  bool Signal(const std::string& name) {
    return Shell(dir_, "pkill -" + name + " -P $(cat pid) -f 'conveyor serve'") == 0;
  }

  // Sends SIGTERM and waits (up to 15 s, scaled) for the exit status ("0\n").
  std::string Stop() {
    Signal("TERM");
    for (int i = 0; i < ScaledCount(150) && !std::filesystem::exists(dir_ / "rc"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::filesystem::exists(dir_ / "rc") ? ReadFile(dir_ / "rc") : "(still running)";
  }

  // Runs curl with `args` (URL included); the parsed body and the status.
  std::pair<nlohmann::json, int> Curl(const std::string& args) {
    Shell(dir_, "curl -s --max-time 20 -o body.json -w '%{http_code}' " + curl_flags_ + " " + args +
                    " >code");
    nlohmann::json body = nlohmann::json::parse(ReadFile(dir_ / "body.json"), nullptr, false);
    return {body, std::stoi(ReadFile(dir_ / "code"))};
  }

 private:
  std::filesystem::path dir_;
  std::string url_;
  std::string curl_flags_;
};

// A shell command line that, run in a directory holding sample.png, sends
// up to `count` predictions of it to `url` in the background, one after
// another, and stops early once a file named `stop` appears there. Each
// answer is one line of `file`: the body, a space, the HTTP code. When the
// loop has ended, `file` is complete and `file`.done exists
// (PredictLoopEnded). `curl_args` go on every curl (an Authorization
// header, say).
inline std::string PredictLoop(const std::string& url, int count, const std::string& file,
                               const std::string& curl_args = "") {
  return "(for i in $(seq " + std::to_string(count) +
         "); do test -e stop && break; curl -s --max-time 10 -w ' %{http_code}' " + curl_args +
         " -F file=@sample.png " + url + "/predict; echo; done >" + file + "; touch " + file +
         ".done) &";
}

// Whether the PredictLoop writing `file` has ended.
inline bool PredictLoopEnded(const std::filesystem::path& file) {
  return std::filesystem::exists(file.string() + ".done");
}

// The model version a PredictLoop line's body names; 0 when it names none.
inline int VersionInLine(const std::string& line) {
  nlohmann::json body = nlohmann::json::parse(line.substr(0, line.rfind(' ')), nullptr, false);
  return body.is_object() && body["model"].is_object() ? body["model"].value("version", 0) : 0;
}

// The model version of the last complete line of a PredictLoop file; 0 when
// there is none yet or it is not a JSON body naming a version. Asserts
// nothing, so it can be polled.
inline int LastVersionAnswered(const std::filesystem::path& file) {
  std::string text = ReadFile(file);
  const size_t end = text.rfind('\n');
  if (end == std::string::npos)
    return 0;
  text.resize(end);  // without the line still being written
  const size_t start = text.rfind('\n');
  return VersionInLine(start == std::string::npos ? text : text.substr(start + 1));
}

// The model versions that answered, in order of first appearance, from a
// PredictLoop file, every line of which must be a 200; `count` lines of it,
// unless `count` is negative.
inline std::vector<int> VersionsSeen(const std::filesystem::path& file, int count = -1) {
  std::istringstream lines(ReadFile(file));
  std::vector<int> seen;
  int ok = 0;
  int total = 0;
  std::string line;
  while (std::getline(lines, line)) {
    ++total;
    size_t space = line.rfind(' ');
    EXPECT_EQ(line.substr(space + 1), "200") << file << ": " << line;
    const int version = VersionInLine(line);
    if (std::find(seen.begin(), seen.end(), version) == seen.end())
      seen.push_back(version);
    ok += line.ends_with(" 200");
  }
  EXPECT_EQ(ok, total) << file;
  if (count >= 0) {
    EXPECT_EQ(ok, count) << file;
  }
  EXPECT_GT(total, 0) << file;
  return seen;
}

}  // namespace conveyor::testing
