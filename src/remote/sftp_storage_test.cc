// Tests of the SFTP backend against Debian's OpenSSH server: /usr/sbin/sshd
// started once for the suite on a free loopback port, with throwaway host
// and user keys made by ssh-keygen in a temp directory, and stopped at the
// end. The remote's folder is in that temp directory too, so tests check
// what reached the server by looking at the files directly.
#include "remote/sftp_storage.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "common/file_util.h"
#include "common/md5.h"
#include "testing/loopback.h"
#include "testing/time_scale.h"

extern char** environ;

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr auto FreePort = &testing::FreeLoopbackPort;
constexpr auto CanConnect = &testing::CanConnectLoopback;
constexpr auto Pattern = &testing::PseudoRandomBytes;

constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr const char* kKeygen = "/usr/bin/ssh-keygen";

fs::path MakeTempDir() {
  std::string pattern = (fs::temp_directory_path() / "conveyor-sftp-XXXXXX").string();
  return fs::path(mkdtemp(pattern.data()));
}

void WriteFile(const fs::path& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

// The first line a command prints, or "" when it fails.
std::string FirstLine(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr)
    return "";
  char line[1024] = {0};
  bool got = std::fgets(line, sizeof line, pipe) != nullptr;
  int status = pclose(pipe);
  std::string text = got ? line : "";
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  return status == 0 ? text : "";
}

std::string Slurp(const fs::path& path) {
  Result<std::string> text = ReadFileToString(path);
  return text.ok() ? *text : std::string();
}

bool Keygen(const fs::path& file) {
  std::string command =
      fmt::format("{} -q -t ed25519 -N '' -C conveyor-test -f '{}'", kKeygen, file.string());
  return std::system(command.c_str()) == 0;
}

size_t CountEntries(const fs::path& dir) {
  std::error_code ec;
  return static_cast<size_t>(
      std::distance(fs::recursive_directory_iterator(dir, ec), fs::recursive_directory_iterator()));
}

// One sshd for the whole suite; every test gets a fresh remote folder.
class SftpStorageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(kSshd) || !fs::exists(kKeygen)) {
      skip_ = "sshd or ssh-keygen not installed (openssh-server; run scripts/install-deps.sh)";
      return;
    }
    dir_ = MakeTempDir();
    if (!Keygen(dir_ / "host_key") || !Keygen(dir_ / "user_key") ||
        !Keygen(dir_ / "other_host_key") || !Keygen(dir_ / "other_user_key")) {
      setup_error_ = "ssh-keygen failed";
      return;
    }
    fs::copy_file(dir_ / "user_key.pub", dir_ / "authorized_keys");
    port_ = FreePort();
    // Running as root, sshd needs its privilege separation directory, which
    // only the init scripts create.
    if (geteuid() == 0) {
      std::error_code ec;
      fs::create_directories("/run/sshd", ec);
    }
    WriteFile(dir_ / "sshd_config",
              fmt::format("Port {}\n"
                          "ListenAddress 127.0.0.1\n"
                          "HostKey {}\n"
                          "PidFile {}\n"
                          "AuthorizedKeysFile {}\n"
                          "StrictModes no\n"
                          "UsePAM no\n"
                          "PermitRootLogin prohibit-password\n"
                          "PasswordAuthentication no\n"
                          "KbdInteractiveAuthentication no\n"
                          "MaxStartups 100\n"
                          "Subsystem sftp internal-sftp\n"
                          "LogLevel ERROR\n",
                          port_, (dir_ / "host_key").string(), (dir_ / "sshd.pid").string(),
                          (dir_ / "authorized_keys").string()));
    std::string config = (dir_ / "sshd_config").string();
    std::string log = (dir_ / "sshd.log").string();
    std::vector<std::string> args = {kSshd, "-D", "-e", "-f", config};
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int spawned = posix_spawn(&pid_, kSshd, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      pid_ = 0;
      setup_error_ = "cannot start sshd";
      return;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!CanConnect(port_) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(20));
    if (!CanConnect(port_)) {
      setup_error_ = "sshd did not listen: " + Slurp(log);
      return;
    }
    std::string host_key = Slurp(dir_ / "host_key.pub");
    WriteFile(dir_ / "known_hosts", fmt::format("[127.0.0.1]:{} {}", port_, host_key));
    std::string other_key = Slurp(dir_ / "other_host_key.pub");
    WriteFile(dir_ / "changed_known_hosts", fmt::format("[127.0.0.1]:{} {}", port_, other_key));
    WriteFile(dir_ / "empty_known_hosts", "");
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      // Bounded: SIGKILL when sshd has not gone within 5 s.
      for (int i = 0; i < 250 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(milliseconds(20));
      if (waitpid(pid_, &status, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
      pid_ = 0;
    }
    std::error_code ec;
    if (!dir_.empty())
      fs::remove_all(dir_, ec);
  }

  void SetUp() override {
    if (!skip_.empty())
      GTEST_SKIP() << skip_;
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    local_ = MakeTempDir();
    store_ = dir_ / fmt::format("store-{}", ++counter_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!local_.empty())
      fs::remove_all(local_, ec);
  }

  static SftpTuning FastTuning(const std::string& known_hosts = "known_hosts") {
    SftpTuning tuning;
    tuning.max_attempts = 3;
    tuning.backoff_base = milliseconds(10);
    tuning.backoff_cap = milliseconds(50);
    tuning.timeout = std::chrono::seconds(5);
    tuning.known_hosts = dir_ / known_hosts;
    tuning.read_ssh_config = false;
    return tuning;
  }

  RemoteConfig Remote(int port = 0, const std::string& keyfile = "user_key") const {
    RemoteConfig remote;
    remote.name = "storage";
    remote.url = fmt::format("ssh://127.0.0.1:{}{}", port == 0 ? port_ : port, store_.string());
    remote.options = {{"keyfile", (dir_ / keyfile).string()},
                      {"user", getpwuid(geteuid())->pw_name}};
    return remote;
  }

  std::unique_ptr<RemoteStorage> Open(const SftpTuning& tuning = FastTuning()) {
    auto storage = OpenSftpStorage(Remote(), tuning);
    EXPECT_TRUE(storage.ok()) << storage.status().ToString();
    return std::move(storage).value();
  }

  static inline std::string skip_;
  static inline std::string setup_error_;
  static inline pid_t pid_ = 0;
  static inline int port_ = 0;
  static inline fs::path dir_;
  static inline int counter_ = 0;
  fs::path local_;
  fs::path store_;
};

TEST_F(SftpStorageTest, UploadExistsDownloadSmall) {
  auto sftp = Open();
  EXPECT_EQ(sftp->Describe(), fmt::format("ssh://127.0.0.1:{}{}", port_, store_.string()));
  EXPECT_TRUE(sftp->CanList());
  WriteFile(local_ / "in", "hello, sftp");
  ASSERT_TRUE(sftp->Upload(local_ / "in", "files/md5/ab/cdef").ok());
  EXPECT_EQ(*ReadFileToString(store_ / "files/md5/ab/cdef"), "hello, sftp");
  EXPECT_EQ(CountEntries(store_ / "files/md5/ab"), 1U);  // no temp file left
  auto exists = sftp->Exists("files/md5/ab/cdef");
  ASSERT_TRUE(exists.ok()) << exists.status().ToString();
  EXPECT_TRUE(*exists);
  Result<FileDigest> got = sftp->Download("files/md5/ab/cdef", local_ / "out");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*ReadFileToString(local_ / "out"), "hello, sftp");
  EXPECT_EQ(*got, (FileDigest{Md5Hex("hello, sftp"), 11}));
  EXPECT_EQ(CountEntries(local_), 2U);  // in, out: written in place, no temporary file
}

TEST_F(SftpStorageTest, EmptyFileRoundTrip) {
  auto sftp = Open();
  WriteFile(local_ / "in", "");
  ASSERT_TRUE(sftp->Upload(local_ / "in", "files/md5/d4/1d8cd98f00b204e9800998ecf8427e").ok());
  Result<FileDigest> got =
      sftp->Download("files/md5/d4/1d8cd98f00b204e9800998ecf8427e", local_ / "out");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(fs::file_size(local_ / "out"), 0U);
  EXPECT_EQ(got->md5, "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_F(SftpStorageTest, SeveralMebibytesWithProgress) {
  SftpTuning tuning = FastTuning();
  tuning.chunk_size = 64 * 1024;  // many requests in flight, several rounds
  tuning.requests_in_flight = 8;
  auto sftp = Open(tuning);
  std::string data = Pattern((5 << 20) + 123, 7);
  WriteFile(local_ / "in", data);
  std::vector<uint64_t> up;
  ASSERT_TRUE(
      sftp->Upload(local_ / "in", "files/md5/12/big", [&](uint64_t n) { up.push_back(n); }).ok());
  ASSERT_GT(up.size(), 10U);
  EXPECT_TRUE(std::is_sorted(up.begin(), up.end()));
  EXPECT_EQ(up.back(), data.size());
  EXPECT_EQ(*ReadFileToString(store_ / "files/md5/12/big"), data);

  std::vector<uint64_t> down;
  Result<FileDigest> got =
      sftp->Download("files/md5/12/big", local_ / "out", [&](uint64_t n) { down.push_back(n); });
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  // Hashed piece by piece as the pipelined READs were answered.
  EXPECT_EQ(*got, (FileDigest{Md5Hex(data), data.size()}));
  ASSERT_GT(down.size(), 10U);
  EXPECT_TRUE(std::is_sorted(down.begin(), down.end()));
  EXPECT_EQ(down.back(), data.size());
  EXPECT_TRUE(*ReadFileToString(local_ / "out") == data);
}

TEST_F(SftpStorageTest, UploadReplacesAnExistingObject) {
  auto sftp = Open();
  WriteFile(local_ / "a", "first version");
  WriteFile(local_ / "b", "second");
  ASSERT_TRUE(sftp->Upload(local_ / "a", "files/md5/aa/bb").ok());
  Status replaced = sftp->Upload(local_ / "b", "files/md5/aa/bb");
  ASSERT_TRUE(replaced.ok()) << replaced.ToString();
  EXPECT_EQ(*ReadFileToString(store_ / "files/md5/aa/bb"), "second");
  EXPECT_EQ(CountEntries(store_ / "files/md5/aa"), 1U);
}

TEST_F(SftpStorageTest, ListAndExists) {
  auto sftp = Open();
  // Nothing pushed yet: the root does not exist.
  auto empty = sftp->List("files/md5/");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  auto absent = sftp->Exists("files/md5/00/11");
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_FALSE(*absent);

  WriteFile(local_ / "in", "12345");
  for (const char* key : {"files/md5/ab/one", "files/md5/ab/two.dir", "files/md5/cd/three"})
    ASSERT_TRUE(sftp->Upload(local_ / "in", key).ok()) << key;
  WriteFile(store_ / "files/md5/ab/.four.tmp.x", "in progress");
  WriteFile(store_ / "other", "outside the prefix");

  auto all = sftp->List("files/md5/");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::set<std::string> keys;
  for (const RemoteObject& object : *all) {
    keys.insert(object.key);
    EXPECT_EQ(object.size, 5U) << object.key;
  }
  EXPECT_EQ(keys, (std::set<std::string>{"files/md5/ab/one", "files/md5/ab/two.dir",
                                         "files/md5/cd/three"}));
  auto some = sftp->List("files/md5/ab/t");
  ASSERT_TRUE(some.ok()) << some.status().ToString();
  ASSERT_EQ(some->size(), 1U);
  EXPECT_EQ(some->front().key, "files/md5/ab/two.dir");
  EXPECT_TRUE(*sftp->Exists("files/md5/cd/three"));
  EXPECT_FALSE(*sftp->Exists("files/md5/cd/four"));
  EXPECT_FALSE(*sftp->Exists("files/md5/cd"));  // a directory is no object
}

TEST_F(SftpStorageTest, MissingObjectIsNotFound) {
  auto sftp = Open();
  fs::create_directories(store_);
  Status status = sftp->Download("files/md5/ee/ff", local_ / "out").status();
  ASSERT_EQ(status.code(), Code::kNotFound) << status.ToString();
  EXPECT_EQ(status.message(), fmt::format("ssh://127.0.0.1:{}{}/files/md5/ee/ff: no such file or "
                                          "directory",
                                          port_, store_.string()));
  EXPECT_EQ(CountEntries(local_), 0U);
}

TEST_F(SftpStorageTest, FailedDownloadLeavesNothing) {
  auto sftp = Open();
  WriteFile(local_ / "in", "x");
  ASSERT_TRUE(sftp->Upload(local_ / "in", "files/md5/ab/cd").ok());
  fs::remove(local_ / "in");
  // A directory opens but fails to read, after the temp file was created.
  Status status = sftp->Download("files/md5/ab", local_ / "out").status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kIo) << status.ToString();
  EXPECT_EQ(CountEntries(local_), 0U);
  // The connection is still good for the next call.
  EXPECT_TRUE(sftp->Download("files/md5/ab/cd", local_ / "out").ok());
}

TEST_F(SftpStorageTest, WrongKeyIsPermissionDenied) {
  auto sftp = OpenSftpStorage(Remote(0, "other_user_key"), FastTuning());
  ASSERT_TRUE(sftp.ok());
  auto exists = (*sftp)->Exists("files/md5/ab/cd");
  ASSERT_EQ(exists.status().code(), Code::kPermissionDenied) << exists.status().ToString();
  EXPECT_NE(exists.status().message().find(fmt::format("refused login as '{}' (tried key {})",
                                                       getpwuid(geteuid())->pw_name,
                                                       (dir_ / "other_user_key").string())),
            std::string::npos)
      << exists.status().message();
}

TEST_F(SftpStorageTest, MissingKeyfileIsInvalid) {
  auto sftp = OpenSftpStorage(Remote(0, "no_such_key"), FastTuning());
  ASSERT_TRUE(sftp.ok());
  auto exists = (*sftp)->Exists("files/md5/ab/cd");
  ASSERT_EQ(exists.status().code(), Code::kInvalid) << exists.status().ToString();
  EXPECT_NE(exists.status().message().find("cannot read keyfile"), std::string::npos);
}

TEST_F(SftpStorageTest, UnknownHostKeyIsRefusedWithTheFingerprint) {
  auto sftp = Open(FastTuning("empty_known_hosts"));
  auto exists = sftp->Exists("files/md5/ab/cd");
  ASSERT_EQ(exists.status().code(), Code::kPermissionDenied) << exists.status().ToString();
  // "256 SHA256:... conveyor-test (ED25519)"
  std::string listed =
      FirstLine(fmt::format("{} -l -f '{}'", kKeygen, (dir_ / "host_key.pub").string()));
  ASSERT_NE(listed.find("SHA256:"), std::string::npos) << listed;
  std::string fingerprint = listed.substr(listed.find("SHA256:"));
  if (size_t space = fingerprint.find(' '); space != std::string::npos) {
    fingerprint.resize(space);
  }
  EXPECT_EQ(
      exists.status().message(),
      fmt::format("ssh://127.0.0.1:{0}{1}/files/md5/ab/cd: host [127.0.0.1]:{0} is not in "
                  "{2} (its ssh-ed25519 key is {3}); check the fingerprint, then trust it "
                  "with: ssh-keyscan -p {0} -t ed25519 127.0.0.1 >> {2}",
                  port_, store_.string(), (dir_ / "empty_known_hosts").string(), fingerprint));
}

TEST_F(SftpStorageTest, UnknownHostHintCreatesTheKnownHostsFolder) {
  auto sftp = Open(FastTuning("no-such-dir/known_hosts"));
  auto exists = sftp->Exists("files/md5/ab/cd");
  ASSERT_EQ(exists.status().code(), Code::kPermissionDenied) << exists.status().ToString();
  EXPECT_NE(exists.status().message().find(fmt::format(
                "trust it with: mkdir -p {0}/no-such-dir && ssh-keyscan -p {1} -t ed25519 "
                "127.0.0.1 >> {0}/no-such-dir/known_hosts",
                dir_.string(), port_)),
            std::string::npos)
      << exists.status().message();
}

TEST_F(SftpStorageTest, ChangedHostKeyIsRefused) {
  auto sftp = Open(FastTuning("changed_known_hosts"));
  WriteFile(local_ / "in", "secret");
  Status status = sftp->Upload(local_ / "in", "files/md5/ab/cd");
  ASSERT_EQ(status.code(), Code::kPermissionDenied) << status.ToString();
  EXPECT_NE(status.message().find("HOST KEY CHANGED for [127.0.0.1]:"), std::string::npos)
      << status.message();
  EXPECT_FALSE(fs::exists(store_));  // nothing was sent
}

TEST_F(SftpStorageTest, UnreachablePortIsUnavailableQuickly) {
  int closed_port = FreePort();
  ASSERT_FALSE(CanConnect(closed_port));
  auto sftp = OpenSftpStorage(Remote(closed_port), FastTuning());
  ASSERT_TRUE(sftp.ok());
  auto start = std::chrono::steady_clock::now();
  auto exists = (*sftp)->Exists("files/md5/ab/cd");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(exists.status().code(), Code::kUnavailable) << exists.status().ToString();
  EXPECT_NE(exists.status().message().find("/files/md5/ab/cd: cannot connect to 127.0.0.1"),
            std::string::npos)
      << exists.status().message();
  EXPECT_NE(exists.status().message().find("(gave up after 3 attempts)"), std::string::npos)
      << exists.status().message();
  EXPECT_LT(took, testing::Scaled(std::chrono::seconds(3)));
}

TEST_F(SftpStorageTest, ConcurrentUploadsFromEightThreads) {
  SftpTuning tuning = FastTuning();
  tuning.max_sessions = 3;  // more threads than connections: some wait
  auto sftp = Open(tuning);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 4;
  for (int t = 0; t < kThreads; ++t)
    WriteFile(local_ / std::to_string(t), Pattern(200000 + t, t));
  std::mutex mu;
  std::vector<std::string> failures;
  auto check = [&](const Status& status) {
    std::lock_guard<std::mutex> lock(mu);
    if (!status.ok())
      failures.push_back(status.ToString());
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Distinct new directories per object: mkdir races between threads.
        std::string key = fmt::format("files/md5/{:02x}/obj{}", i, t);
        check(sftp->Upload(local_ / std::to_string(t), key));
      }
      // Everyone replaces one shared key too.
      check(sftp->Upload(local_ / std::to_string(t), "files/md5/ff/shared"));
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  auto all = sftp->List("files/md5/");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), static_cast<size_t>(kThreads * kPerThread + 1));
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_TRUE(*ReadFileToString(store_ / fmt::format("files/md5/03/obj{}", t)) ==
                Pattern(200000 + t, t))
        << t;
  }
  std::string shared = *ReadFileToString(store_ / "files/md5/ff/shared");
  bool matches_one = false;
  for (int t = 0; t < kThreads; ++t)
    matches_one = matches_one || shared == Pattern(200000 + t, t);
  EXPECT_TRUE(matches_one);
  EXPECT_EQ(CountEntries(store_ / "files/md5/ff"), 1U);
}

// Throughput over loopback, run by hand: remote_test
// --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
TEST_F(SftpStorageTest, DISABLED_Throughput64MiB) {
  auto sftp = Open();
  std::string data = Pattern(64 << 20, 3);
  WriteFile(local_ / "in", data);
  ASSERT_TRUE(sftp->Exists("warm-up").ok());  // connect outside the timing
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(sftp->Upload(local_ / "in", "files/md5/64/mib").ok());
  auto uploaded = std::chrono::steady_clock::now();
  ASSERT_TRUE(sftp->Download("files/md5/64/mib", local_ / "out").ok());
  auto downloaded = std::chrono::steady_clock::now();
  EXPECT_TRUE(*ReadFileToString(local_ / "out") == data);
  auto mib_per_s = [](auto took) { return 64.0 / std::chrono::duration<double>(took).count(); };
  std::printf("64 MiB upload %.0f MiB/s, download %.0f MiB/s\n", mib_per_s(uploaded - start),
              mib_per_s(downloaded - uploaded));
}

TEST_F(SftpStorageTest, OpenRemoteStorageDispatchesSshUrls) {
  RemoteConfig remote = Remote();
  auto storage = OpenRemoteStorage(remote);
  ASSERT_TRUE(storage.ok()) << storage.status().ToString();
  EXPECT_EQ((*storage)->Describe(), remote.url);
  remote.url = "ssh://host";
  auto bad = OpenRemoteStorage(remote);
  ASSERT_EQ(bad.status().code(), Code::kInvalid);
  EXPECT_EQ(bad.status().message(),
            "remote 'storage': url 'ssh://host' needs an absolute path: "
            "ssh://[user@]host[:port]/path");
}

}  // namespace
}  // namespace conveyor
