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
  Result<FileDigest> Download(std::string_view key, const fs::path& dest,
                              const ByteProgress& progress) override {
    Record(fmt::format("download {}", key));
    if (fail_keys.count(std::string(key)) != 0)
      return Failure(key);
    Result<FileDigest> digest = inner_.Download(key, dest, progress);
    if (digest.ok() && misreport_keys.count(std::string(key)) != 0)
      digest->md5 = Md5Hex("not what was written");
    return digest;
  }
  Status Upload(const fs::path& source, std::string_view key,
                const ByteProgress& progress) override {
    Record(fmt::format("upload {}", key));
    if (fail_keys.count(std::string(key)) != 0)
      return Failure(key);
    // A first attempt that gets partway, then a retry starting over.
    for (uint64_t bytes : progress_script) {
      if (progress)
        progress(bytes);
    }
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
  // How transfers of fail_keys fail: kUnavailable is a dead host (the
  // engine stops starting transfers), anything else one bad object.
  Code fail_code = Code::kUnavailable;
  // Keys whose Download reports a wrong md5 for correctly written bytes.
  std::set<std::string> misreport_keys;
  // Byte counts Upload reports before the real copy reports its own.
  std::vector<uint64_t> progress_script;

 private:
  Status Failure(std::string_view key) const {
    if (fail_code == Code::kUnavailable)
      return Error(fail_code, "fake://store/{}: connection reset", key);
    return Error(fail_code, "fake://store/{}: refused", key);
  }
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
  remote_.fail_code = Code::kPermissionDenied;
  auto report = Push(store_, remote_, {dir, other}, {});
  ASSERT_FALSE(report.ok());
  // The listing's failure follows from the file's: the call keeps its code.
  EXPECT_EQ(report.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(report.status().message(),
            fmt::format("2 of 4 objects failed to push to fake://store: fake://store/{}: "
                        "refused; {}: not pushed because 1 of its files could not be",
                        ObjectKey(Md5Hex("alpha")), dir));
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
  // One update per object at least (more as bytes move).
  ASSERT_GE(seen.size(), 3u);
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

TEST_F(TransferTest, FetchTrustsOnlyTheDigestTheBackendReports) {
  // The engine does not read objects back: the md5 Download reports is what
  // is checked, so a backend reporting a wrong one gets its object refused.
  std::string md5 = AddFile("content");
  ASSERT_TRUE(Push(store_, remote_, {md5}, {}).ok());
  ClearCache();
  remote_.misreport_keys.insert(ObjectKey(md5));
  auto report = Fetch(store_, remote_, {md5}, {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Code::kInvalid);
  EXPECT_EQ(report.status().message(),
            fmt::format("1 of 1 objects failed to fetch from fake://store: fake://store/{}: "
                        "content hashes to {}, expected {}",
                        ObjectKey(md5), Md5Hex("not what was written"), md5));
  EXPECT_FALSE(store_.Find(md5).has_value());
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
  remote_.fail_code = Code::kInvalid;
  auto report = Fetch(store_, remote_, {one, two}, {});
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(store_.Find(two).has_value());
  EXPECT_FALSE(store_.Find(one).has_value());
}

TEST_F(TransferTest, UnavailableRemoteStopsStartingTransfers) {
  std::vector<std::string> md5s;
  for (int i = 0; i < 5; ++i)
    md5s.push_back(AddFile(fmt::format("object {}", i)));
  std::sort(md5s.begin(), md5s.end());
  remote_.fail_keys.insert(ObjectKey(md5s[0]));
  auto report = Push(store_, remote_, {md5s.begin(), md5s.end()}, {.jobs = 1});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Code::kUnavailable);
  EXPECT_EQ(report.status().message(),
            fmt::format("5 of 5 objects failed to push to fake://store: fake://store/{}: "
                        "connection reset; 4 more not tried while the remote is unavailable",
                        ObjectKey(md5s[0])));
  EXPECT_EQ(remote_.Count("upload"), 1u);

  remote_.fail_keys.clear();
  auto rerun = Push(store_, remote_, {md5s.begin(), md5s.end()}, {.jobs = 1});
  ASSERT_TRUE(rerun.ok()) << rerun.status().message();
  EXPECT_EQ(rerun->transferred, 5u);
}

TEST_F(TransferTest, BytesAdvanceWithinLargeObjectsMonotonically) {
  // 2.5 MiB: LocalStorage reports after each 1 MiB chunk.
  std::string big = AddFile(std::string((5 << 20) / 2, 'x'));
  std::string small = AddFile("small");
  // The fake reports 1 MiB, then starts over (a retry): the bar must not
  // move back, nor count more than an object's size (the small one).
  remote_.progress_script = {1 << 20, 0, 1000};
  std::vector<TransferProgress> seen;
  auto report =
      Push(store_, remote_, {big, small},
           {.jobs = 1, .progress = [&](const TransferProgress& p) { seen.push_back(p); }});
  ASSERT_TRUE(report.ok()) << report.status().message();
  uint64_t total = (5u << 20) / 2 + 5;
  ASSERT_FALSE(seen.empty());
  bool partway = false;
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].total_bytes, total);
    EXPECT_LE(seen[i].done_bytes, total);
    if (i > 0) {
      EXPECT_GE(seen[i].done_bytes, seen[i - 1].done_bytes) << "at update " << i;
    }
    // Between 1 MiB and the large object's size: it is partly counted (the
    // small one adds at most 5 bytes).
    if (seen[i].done_bytes >= (1u << 20) && seen[i].done_bytes < (5u << 20) / 2)
      partway = true;
  }
  EXPECT_TRUE(partway) << "no update while the large object was moving";
  EXPECT_EQ(seen.back().done_bytes, total);
  EXPECT_EQ(seen.back().done_objects, 2u);

  // The same on fetch, sizes known from the listing.
  ClearCache();
  remote_.progress_script.clear();
  seen.clear();
  auto fetched =
      Fetch(store_, remote_, {big, small},
            {.jobs = 1, .progress = [&](const TransferProgress& p) { seen.push_back(p); }});
  ASSERT_TRUE(fetched.ok()) << fetched.status().message();
  ASSERT_GE(seen.size(), 4u);
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].done_bytes, seen[i - 1].done_bytes);
  }
  EXPECT_EQ(seen.back().done_bytes, total);
  EXPECT_EQ(seen.back().total_bytes, total);
}

TEST_F(TransferTest, PushResendsAnObjectOfTheWrongSizeAtTheRemote) {
  std::string md5 = AddFile("complete content");
  fs::create_directories((dir_ / "remote" / ObjectKey(md5)).parent_path());
  // What a server that writes in place leaves after a crash mid-upload.
  ASSERT_TRUE(AtomicWriteFile(dir_ / "remote" / ObjectKey(md5), "comp").ok());
  auto report = Push(store_, remote_, {md5}, {});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->transferred, 1u);
  EXPECT_EQ(report->present, 0u);
  EXPECT_EQ(ReadFileToString(dir_ / "remote" / ObjectKey(md5)).value(), "complete content");
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
