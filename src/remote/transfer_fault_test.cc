// Fault tests of the transfer engine (transfer.h) with real components: an
// s3rver killed with SIGKILL in the middle of a push or a fetch and brought
// back on the same port and data, objects corrupted at the remote, and a
// cache on a full file system (a small tmpfs when mounting is permitted,
// RLIMIT_FSIZE otherwise). After every fault the cache must hold only
// complete objects whose content hashes to their names, and a rerun must
// finish the job moving only what was still missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>

#include "common/file_util.h"
#include "common/md5.h"
#include "remote/local_storage.h"
#include "remote/s3_storage.h"
#include "remote/transfer.h"
#include "testing/loopback.h"
#include "testing/s3rver_process.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::S3rverProcess;
using testing::TempDir;

constexpr auto Pattern = &testing::PseudoRandomBytes;

constexpr size_t kObjects = 40;
constexpr size_t kKillAfter = 10;

// Writes `data` into `store` as an object; returns its md5.
std::string PutObject(const ObjectStore& store, const std::string& data) {
  std::string md5 = Md5Hex(data);
  fs::create_directories(store.ObjectPath(md5).parent_path());
  EXPECT_TRUE(AtomicWriteFile(store.ObjectPath(md5), data).ok());
  return md5;
}

// Checks that every file under the cache is a complete object: no
// temporary files, and content hashing to the name. Returns the object count.
size_t ExpectConsistentCache(const fs::path& cache) {
  size_t objects = 0;
  std::error_code ec;
  if (!fs::exists(cache, ec))
    return 0;
  for (const auto& entry : fs::recursive_directory_iterator(cache)) {
    if (!entry.is_regular_file())
      continue;
    std::string name = entry.path().filename().string();
    EXPECT_NE(name.front(), '.') << "temporary file left in the cache: " << entry.path();
    std::string md5 = entry.path().parent_path().filename().string() + name;
    if (md5.size() > 4 && md5.substr(md5.size() - 4) == ".dir")
      md5.resize(md5.size() - 4);
    Result<FileDigest> digest = Md5File(entry.path());
    EXPECT_TRUE(digest.ok() && digest->md5 == md5) << entry.path() << " does not hash to its name";
    ++objects;
  }
  return objects;
}

// Forwards to a backend and records the keys whose transfer succeeded.
class RecordingStorage : public RemoteStorage {
 public:
  explicit RecordingStorage(RemoteStorage& inner) : inner_(inner) {}
  std::string Describe() const override { return inner_.Describe(); }
  bool CanList() const override { return inner_.CanList(); }
  Result<std::vector<RemoteObject>> List(std::string_view prefix) override {
    return inner_.List(prefix);
  }
  Result<bool> Exists(std::string_view key) override { return inner_.Exists(key); }
  Result<FileDigest> Download(std::string_view key, const fs::path& dest,
                              const ByteProgress& progress) override {
    Result<FileDigest> result = inner_.Download(key, dest, progress);
    (void)Record(result.status(), key);
    return result;
  }
  Status Upload(const fs::path& source, std::string_view key,
                const ByteProgress& progress) override {
    return Record(inner_.Upload(source, key, progress), key);
  }
  std::multiset<std::string> done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }

 private:
  Status Record(Status status, std::string_view key) {
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      done_.insert(std::string(key));
    }
    return status;
  }
  RemoteStorage& inner_;
  std::mutex mu_;
  std::multiset<std::string> done_;  // guarded by mu_
};

class S3FaultTest : public ::testing::Test {
 protected:
  S3FaultTest() : store_(dir_ / "cache") {}

  void SetUp() override {
    auto server = S3rverProcess::Start(CONVEYOR_S3RVER_DIR, dir_ / "s3data");
    if (!server.ok() && server.status().code() == Code::kNotFound)
      GTEST_SKIP() << server.status().message();
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    RemoteConfig remote;
    remote.name = "storage";
    remote.url = "s3://bucket/store";
    remote.options = {{"endpointurl", server_->endpoint()},
                      {"access_key_id", "S3RVER"},
                      {"secret_access_key", "S3RVER"}};
    S3Tuning tuning;
    tuning.max_attempts = 3;
    tuning.backoff_base = std::chrono::milliseconds(10);
    tuning.backoff_cap = std::chrono::milliseconds(50);
    tuning.connect_timeout = std::chrono::seconds(5);
    tuning.read_timeout = std::chrono::seconds(10);
    tuning.env = [](const char*) { return std::optional<std::string>(); };
    auto s3 = OpenS3Storage(remote, tuning);
    ASSERT_TRUE(s3.ok()) << s3.status().message();
    s3_ = std::move(s3).value();
  }

  // kObjects distinct 64 KiB objects in the cache; their md5s.
  std::set<std::string> FillCache() {
    std::set<std::string> md5s;
    for (unsigned i = 0; i < kObjects; ++i)
      md5s.insert(PutObject(store_, Pattern(64 << 10, i)));
    return md5s;
  }

  // Options that SIGKILL the server once kKillAfter objects are done.
  TransferOptions KillingOptions() {
    TransferOptions options;
    options.jobs = 4;
    options.progress = [this](const TransferProgress& p) {
      if (p.done_objects >= kKillAfter && !killed_.exchange(true))
        server_->Kill();
    };
    return options;
  }

  // The interrupted call's failure: kUnavailable, naming the remote and
  // the server that went away.
  void ExpectUnavailable(const Result<TransferReport>& report, std::string_view verb) {
    ASSERT_TRUE(killed_);
    ASSERT_FALSE(report.ok());
    const std::string& message = report.status().message();
    EXPECT_EQ(report.status().code(), Code::kUnavailable) << message;
    EXPECT_NE(message.find(fmt::format("objects failed to {} s3://bucket/store: ", verb)),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("cannot reach " + server_->endpoint()), std::string::npos) << message;
  }

  TempDir dir_;
  ObjectStore store_;
  std::unique_ptr<S3rverProcess> server_;
  std::unique_ptr<RemoteStorage> s3_;
  std::atomic<bool> killed_{false};
};

TEST_F(S3FaultTest, ServerKilledMidPushThenRerunSendsOnlyTheRest) {
  std::set<std::string> md5s = FillCache();
  RecordingStorage first(*s3_);
  auto report = Push(store_, first, md5s, KillingOptions());
  ExpectUnavailable(report, "push to");
  std::multiset<std::string> sent = first.done();
  EXPECT_GE(sent.size(), kKillAfter);
  EXPECT_LT(sent.size(), kObjects);

  ASSERT_TRUE(server_->Restart().ok());
  RecordingStorage second(*s3_);
  auto rerun = Push(store_, second, md5s, {.jobs = 4});
  ASSERT_TRUE(rerun.ok()) << rerun.status().message();
  EXPECT_EQ(rerun->transferred + rerun->present, kObjects);
  // Present: what the first run saw succeed, plus at most the 4 in flight at
  // the kill that the server stored before it died but never acknowledged.
  EXPECT_GE(rerun->present, sent.size());
  EXPECT_LE(rerun->present, sent.size() + 4);
  // Nothing that arrived the first time went again.
  for (const std::string& key : second.done())
    EXPECT_EQ(sent.count(key), 0u) << key << " was uploaded twice";
  auto third = Push(store_, *s3_, md5s, {});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->transferred, 0u);
}

TEST_F(S3FaultTest, ServerKilledMidFetchLeavesACleanCacheAndRerunFinishes) {
  std::set<std::string> md5s = FillCache();
  ASSERT_TRUE(Push(store_, *s3_, md5s, {}).ok());
  fs::remove_all(dir_ / "cache");

  RecordingStorage first(*s3_);
  auto report = Fetch(store_, first, md5s, KillingOptions());
  ExpectUnavailable(report, "fetch from");
  size_t cached = ExpectConsistentCache(dir_ / "cache");
  EXPECT_EQ(cached, first.done().size());
  EXPECT_GE(cached, kKillAfter);
  EXPECT_LT(cached, kObjects);

  ASSERT_TRUE(server_->Restart().ok());
  RecordingStorage second(*s3_);
  auto rerun = Fetch(store_, second, md5s, {.jobs = 4});
  ASSERT_TRUE(rerun.ok()) << rerun.status().message();
  EXPECT_EQ(rerun->present, cached);
  EXPECT_EQ(rerun->transferred, kObjects - cached);
  EXPECT_EQ(second.done().size(), kObjects - cached);
  EXPECT_EQ(ExpectConsistentCache(dir_ / "cache"), kObjects);
}

TEST_F(S3FaultTest, ObjectCorruptedAtTheRemoteIsRefusedOthersArrive) {
  std::set<std::string> md5s = FillCache();
  ASSERT_TRUE(Push(store_, *s3_, md5s, {}).ok());
  std::string bad = *md5s.begin();
  fs::path file = server_->ObjectFile("bucket", "store/" + ObjectKey(bad));
  ASSERT_TRUE(fs::exists(file)) << file;
  // Same size, other bytes: only hashing can tell.
  std::string tampered = Pattern(64 << 10, 999);
  ASSERT_TRUE(AtomicWriteFile(file, tampered).ok());
  fs::remove_all(dir_ / "cache");

  auto report = Fetch(store_, *s3_, md5s, {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Code::kInvalid);
  EXPECT_EQ(report.status().message(),
            fmt::format("1 of {} objects failed to fetch from s3://bucket/store: "
                        "s3://bucket/store/{}: content hashes to {}, expected {}",
                        kObjects, ObjectKey(bad), Md5Hex(tampered), bad));
  EXPECT_FALSE(store_.Find(bad).has_value());
  EXPECT_EQ(ExpectConsistentCache(dir_ / "cache"), kObjects - 1);
}

// A local remote holding one object larger than the cache's file system
// allows, and small ones.
class FullDiskTest : public ::testing::Test {
 protected:
  FullDiskTest() : remote_(dir_ / "remote", "/srv/store") {}

  void SetUp() override {
    fs::create_directories(dir_ / "cache");
    ObjectStore source(dir_ / "source");
    big_ = PutObject(source, Pattern(3 << 20, 1));
    small_ = {PutObject(source, "one"), PutObject(source, "two")};
    std::set<std::string> all(small_.begin(), small_.end());
    all.insert(big_);
    ASSERT_TRUE(Push(source, remote_, all, {}).ok());
  }

  // Fetches everything into `cache` on a file system too small for big_.
  void FetchIntoFullCache(const fs::path& cache, std::string_view cause) {
    ObjectStore store(cache);
    std::set<std::string> all(small_.begin(), small_.end());
    all.insert(big_);
    auto report = Fetch(store, remote_, all, {.jobs = 1});
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.status().code(), Code::kIo) << report.status().message();
    std::string message = report.status().message();
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_EQ(
        message.find(fmt::format("1 of 3 objects failed to fetch from /srv/store: "
                                 "/srv/store/{}: cannot write {}/",
                                 ObjectKey(big_), store.ObjectPath(big_).parent_path().string())),
        0u)
        << message;
    EXPECT_NE(message.find(cause), std::string::npos) << message;
    EXPECT_FALSE(store.Find(big_).has_value());
    for (const std::string& md5 : small_)
      EXPECT_TRUE(store.Find(md5).has_value());
    EXPECT_EQ(ExpectConsistentCache(cache), 2u);
  }

  TempDir dir_;
  LocalStorage remote_;
  std::string big_;
  std::vector<std::string> small_;
};

TEST_F(FullDiskTest, TmpfsCacheFullIsOneLineIoErrorAndNoPartialObject) {
  fs::path mount = dir_ / "cache";
  if (::mount("tmpfs", mount.c_str(), "tmpfs", 0, "size=1m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (" << ErrnoMessage()
                 << "); RlimitFileSize covers the same path unprivileged";
  FetchIntoFullCache(mount / "c", "No space left on device");
  EXPECT_EQ(::umount2(mount.c_str(), MNT_DETACH), 0) << ErrnoMessage();
}

TEST_F(FullDiskTest, RlimitFileSizeIsOneLineIoErrorAndNoPartialObject) {
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &previous), 0);
  rlimit small = old;
  small.rlim_cur = 1 << 20;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  FetchIntoFullCache(dir_ / "cache", "File too large");
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  ::sigaction(SIGXFSZ, &previous, nullptr);
}

}  // namespace
}  // namespace conveyor
