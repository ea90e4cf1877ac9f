#include "remote/transfer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>

#include "cache/tree_hash.h"
#include "common/file_util.h"
#include "common/md5.h"
#include "remote/local_storage.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// A LocalStorage that records uploads, can hide List, and fails on demand.
class FakeStorage : public RemoteStorage {
 public:
  explicit FakeStorage(fs::path root) : inner_(std::move(root), "fake://store") {}

  std::string Describe() const override { return inner_.Describe(); }
  bool CanList() const override { return can_list; }
  Result<std::vector<RemoteObject>> List(std::string_view prefix) override {
    Record(fmt::format("list {}", prefix));
    return inner_.List(prefix);
  }
  Result<bool> Exists(std::string_view key) override {
    Record(fmt::format("exists {}", key));
    return inner_.Exists(key);
  }
  Status Download(std::string_view key, const fs::path& dest,
                  const ByteProgress& progress) override {
    Record(fmt::format("download {}", key));
    if (fail_keys.count(std::string(key)) != 0)
      return Error(Code::kUnavailable, "fake://store/{}: connection reset", key);
    return inner_.Download(key, dest, progress);
  }
  Status Upload(const fs::path& source, std::string_view key,
                const ByteProgress& progress) override {
    Record(fmt::format("upload {}", key));
    if (fail_keys.count(std::string(key)) != 0)
      return Error(Code::kUnavailable, "fake://store/{}: connection reset", key);
    return inner_.Upload(source, key, progress);
  }

  std::vector<std::string> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  size_t Count(std::string_view verb) {
    auto all = calls();
    return std::count_if(all.begin(), all.end(), [&](const std::string& call) {
      return call.compare(0, verb.size(), verb) == 0;
    });
  }

  bool can_list = true;
  std::set<std::string> fail_keys;

 private:
  void Record(std::string call) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(std::move(call));
  }

  LocalStorage inner_;
  std::mutex mu_;
  std::vector<std::string> calls_;
};

class TransferTest : public ::testing::Test {
 protected:
  TransferTest() : store_(dir_ / "cache"), remote_(dir_ / "remote") {}

  // Puts `content` into the cache; returns its md5.
  std::string AddFile(const std::string& content) {
    std::string md5 = Md5Hex(content);
    fs::create_directories(store_.ObjectPath(md5).parent_path());
    EXPECT_TRUE(AtomicWriteFile(store_.ObjectPath(md5), content).ok());
    return md5;
  }
  // Puts a listing of `files` (relpath -> content) into the cache.
  std::string AddDir(const std::vector<std::pair<std::string, std::string>>& files) {
    std::vector<TreeEntry> entries;
    for (const auto& [relpath, content] : files)
      entries.push_back({relpath, AddFile(content), content.size()});
    Tree tree = BuildTree(entries).value();
    fs::create_directories(store_.ObjectPath(tree.hash.md5).parent_path());
    EXPECT_TRUE(AtomicWriteFile(store_.ObjectPath(tree.hash.md5), tree.json).ok());
    return tree.hash.md5;
  }
  void ClearCache() { fs::remove_all(dir_ / "cache"); }

  TempDir dir_;
  ObjectStore store_;
  FakeStorage remote_;
};

TEST_F(TransferTest, PushUploadsFilesBeforeTheirListing) {
  std::string dir = AddDir({{"a", "alpha"}, {"b", "beta"}});
  std::string file = AddFile("gamma");
  auto report = Push(store_, remote_, {dir, file}, {.jobs = 1});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->transferred, 4u);
  EXPECT_EQ(report->transferred_bytes, 5u + 4u + 5u + store_.LoadTree(dir)->json.size());
  EXPECT_EQ(report->present, 0u);
  EXPECT_TRUE(fs::exists(dir_ / "remote" / ObjectKey(dir)));
  EXPECT_TRUE(fs::exists(dir_ / "remote" / ObjectKey(Md5Hex("alpha"))));
  std::vector<std::string> calls = remote_.calls();
  EXPECT_EQ(calls.back(), "upload " + ObjectKey(dir));
}

TEST_F(TransferTest, SecondPushMovesNothing) {
  std::string dir = AddDir({{"a", "alpha"}});
  ASSERT_TRUE(Push(store_, remote_, {dir}, {}).ok());
  size_t uploads = remote_.Count("upload");
  auto again = Push(store_, remote_, {dir}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->transferred, 0u);
  EXPECT_EQ(again->present, 2u);
  EXPECT_EQ(remote_.Count("upload"), uploads);
}

TEST_F(TransferTest, SmallSetsListPerPrefixLargeSetsListOnce) {
  std::string file = AddFile("one");
  ASSERT_TRUE(Push(store_, remote_, {file}, {}).ok());
  EXPECT_EQ(remote_.calls().front(), "list files/md5/" + file.substr(0, 2) + "/");
  std::set<std::string> many;
  for (int i = 0; i < 100; ++i)
    many.insert(AddFile(fmt::format("file {}", i)));
  FakeStorage other(dir_ / "other");
  ASSERT_TRUE(Push(store_, other, many, {}).ok());
  EXPECT_EQ(other.Count("list"), 1u);
  EXPECT_EQ(other.calls().front(), "list files/md5/");
}

TEST_F(TransferTest, WithoutListingUsesExists) {
  remote_.can_list = false;
  std::string file = AddFile("one");
  ASSERT_TRUE(Push(store_, remote_, {file}, {}).ok());
  EXPECT_EQ(remote_.Count("list"), 0u);
  EXPECT_EQ(remote_.Count("exists"), 1u);
  auto again = Push(store_, remote_, {file}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->present, 1u);
}

TEST_F(TransferTest, FailedFileKeepsItsListingOffTheRemoteAndOthersGoOn) {
  std::string dir = AddDir({{"a", "alpha"}, {"b", "beta"}});
  std::string other = AddFile("gamma");
  remote_.fail_keys.insert(ObjectKey(Md5Hex("alpha")));
  auto report = Push(store_, remote_, {dir, other}, {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Code::kFailed);
  EXPECT_NE(report.status().message().find("2 of 4 objects failed to push to fake://store: "),
            std::string::npos)
      << report.status().message();
  EXPECT_NE(report.status().message().find("connection reset"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "remote" / ObjectKey(dir)));
  EXPECT_TRUE(fs::exists(dir_ / "remote" / ObjectKey(other)));
  EXPECT_TRUE(fs::exists(dir_ / "remote" / ObjectKey(Md5Hex("beta"))));

  // Resuming moves only what is still missing.
  remote_.fail_keys.clear();
  auto resumed = Push(store_, remote_, {dir, other}, {});
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed->transferred, 2u);
  EXPECT_EQ(resumed->present, 2u);
}

TEST_F(TransferTest, PushReportsObjectsMissingFromTheCache) {
  auto report = Push(store_, remote_, {Md5Hex("absent")}, {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->missing, std::vector<std::string>{Md5Hex("absent")});
  EXPECT_EQ(report->transferred, 0u);
}

TEST_F(TransferTest, FetchRestoresListingsAndFilesReadOnly) {
  std::string dir = AddDir({{"a", "alpha"}, {"sub/b", "beta"}});
  ASSERT_TRUE(Push(store_, remote_, {dir}, {}).ok());
  ClearCache();
  std::vector<TransferProgress> seen;
  auto report = Fetch(store_, remote_, {dir},
                      {.progress = [&](const TransferProgress& p) { seen.push_back(p); }});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->transferred, 3u);
  HashInfo hash;
  hash.md5 = dir;
  EXPECT_TRUE(store_.Contains(hash));
  EXPECT_EQ(ReadFileToString(store_.ObjectPath(Md5Hex("beta"))).value(), "beta");
  EXPECT_EQ(fs::status(store_.ObjectPath(Md5Hex("beta"))).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen.back().done_objects, 3u);
  EXPECT_EQ(seen.back().total_objects, 3u);
  EXPECT_EQ(seen.back().done_bytes, seen.back().total_bytes);

  auto again = Fetch(store_, remote_, {dir}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->transferred, 0u);
  EXPECT_EQ(again->present, 3u);
}

TEST_F(TransferTest, FetchRejectsCorruptObjectsAndLeavesNothingInTheCache) {
  std::string good = AddFile("good");
  std::string bad = AddFile("bad");
  ASSERT_TRUE(Push(store_, remote_, {good, bad}, {}).ok());
  fs::path at_remote = dir_ / "remote" / ObjectKey(bad);
  ASSERT_TRUE(AtomicWriteFile(at_remote, "tampered").ok());
  ClearCache();
  auto report = Fetch(store_, remote_, {good, bad}, {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message(),
            fmt::format("1 of 2 objects failed to fetch from fake://store: fake://store/{}: "
                        "content hashes to {}, expected {}",
                        ObjectKey(bad), Md5Hex("tampered"), bad));
  EXPECT_FALSE(store_.Find(bad).has_value());
  EXPECT_TRUE(store_.Find(good).has_value());
  // Not even a temporary file is left.
  size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(store_.ObjectPath(bad).parent_path())) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 0u);
}

TEST_F(TransferTest, FetchCountsObjectsTheRemoteLacksAsMissing) {
  remote_.can_list = false;
  fs::create_directories(dir_ / "remote");
  auto report = Fetch(store_, remote_, {Md5Hex("absent")}, {});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->missing, std::vector<std::string>{Md5Hex("absent")});
}

TEST_F(TransferTest, FetchFailureDoesNotStopOthers) {
  std::string one = AddFile("one");
  std::string two = AddFile("two");
  ASSERT_TRUE(Push(store_, remote_, {one, two}, {}).ok());
  ClearCache();
  remote_.fail_keys.insert(ObjectKey(one));
  auto report = Fetch(store_, remote_, {one, two}, {});
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(store_.Find(two).has_value());
  EXPECT_FALSE(store_.Find(one).has_value());
}

TEST_F(TransferTest, CompareWithRemote) {
  std::string pushed = AddFile("pushed");
  std::string local = AddFile("local");
  ASSERT_TRUE(Push(store_, remote_, {pushed}, {}).ok());
  auto status = CompareWithRemote(store_, remote_, {pushed, local, Md5Hex("gone")});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->in_sync, std::vector<std::string>{pushed});
  EXPECT_EQ(status->not_on_remote, std::vector<std::string>{local});
  EXPECT_EQ(status->missing, std::vector<std::string>{Md5Hex("gone")});
}

}  // namespace
}  // namespace conveyor
