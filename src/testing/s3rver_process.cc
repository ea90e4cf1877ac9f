// S3rverProcess (s3rver_process.h): posix_spawn of node, a bounded wait for
// the port, SIGKILL and waitpid.
#include "testing/s3rver_process.h"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "testing/loopback.h"

extern char** environ;

namespace conveyor::testing {

namespace fs = std::filesystem;

Result<std::unique_ptr<S3rverProcess>> S3rverProcess::Start(const fs::path& s3rver_dir,
                                                            const fs::path& data_dir) {
  fs::path bin = s3rver_dir / "node_modules/s3rver/bin/s3rver.js";
  if (!fs::exists(bin))
    return Error(Code::kNotFound, "s3rver not installed at {} (run scripts/install-deps.sh)",
                 bin.string());
  int port = FreeLoopbackPort();
  if (port <= 0)
    return Error(Code::kFailed, "no free loopback port");
  std::unique_ptr<S3rverProcess> server(new S3rverProcess(bin, data_dir, port));
  RETURN_IF_ERROR(server->Launch());
  return server;
}

S3rverProcess::~S3rverProcess() { Kill(); }

std::string S3rverProcess::endpoint() const { return fmt::format("http://127.0.0.1:{}", port_); }

fs::path S3rverProcess::ObjectFile(const std::string& bucket, const std::string& key) const {
  return data_dir_ / bucket / (key + "._S3rver_object");
}

int S3rverProcess::RemoveTornObjects() const {
  constexpr std::string_view kObject = "._S3rver_object";
  constexpr std::string_view kMetadata = "._S3rver_metadata.json";
  std::vector<fs::path> torn;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(data_dir_, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() <= kMetadata.size() ||
        name.compare(name.size() - kMetadata.size(), kMetadata.size(), kMetadata) != 0)
      continue;
    std::string text;
    if (std::ifstream in(it->path(), std::ios::binary); in) {
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    size_t last = text.find_last_not_of(" \n\r\t");
    if (last != std::string::npos && text[last] == '}')
      continue;
    torn.push_back(it->path());
  }
  for (const fs::path& metadata : torn) {
    std::string stem = metadata.string();
    stem.resize(stem.size() - kMetadata.size());
    fs::remove(metadata, ec);
    fs::remove(stem + std::string(kObject), ec);
    fs::remove(stem + std::string(kObject) + ".md5", ec);
  }
  return static_cast<int>(torn.size());
}

Status S3rverProcess::Launch() {
  std::string port = std::to_string(port_);
  // --openssl-legacy-provider: s3rver encrypts its ListObjectsV2
  // continuation tokens with DES, which Node 20's OpenSSL 3 keeps there.
  std::vector<std::string> args = {"node",
                                   "--openssl-legacy-provider",
                                   bin_.string(),
                                   "-d",
                                   data_dir_.string(),
                                   "-a",
                                   "127.0.0.1",
                                   "-p",
                                   port,
                                   "--silent",
                                   "--configure-bucket",
                                   "bucket"};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, "node", nullptr, nullptr, argv.data(), environ) != 0)
    return Error(Code::kNotFound, "cannot start node for s3rver");
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (CanConnectLoopback(port_))
      return OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Kill();
  return Error(Code::kFailed, "s3rver did not accept connections on 127.0.0.1:{} within 20 s",
               port_);
}

void S3rverProcess::Kill() {
  pid_t pid = pid_.exchange(0);
  if (pid <= 0)
    return;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

Status S3rverProcess::Restart() {
  Kill();
  RemoveTornObjects();
  return Launch();
}

}  // namespace conveyor::testing
