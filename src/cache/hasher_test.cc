#include "cache/hasher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using ::conveyor::testing::TempDir;
using ::conveyor::testing::WriteFile;

// Sets a file's mtime an hour back, out of the Hasher's racy window.
void MakeOld(const fs::path& path, int64_t extra_ns = 0) {
  timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= 3600;
  times[0].tv_nsec = extra_ns;
  times[1] = times[0];
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

void MakeAllOld(const fs::path& dir) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file())
      MakeOld(entry.path());
  }
}

// The tree of tree_hash_test.cc, on disk. Golden values from Debian's
// /usr/bin/python3 walking the same files with os.walk and DVC's rule
// (dvc_data/hashfile/tree.py as_list/as_bytes/digest):
// f7e0f150c018c5d76de4ff20aa95c946.dir, 24 bytes, 8 files.
void WriteGoldenTree(const fs::path& dir) {
  WriteFile(dir / "a.txt", "hello\n");
  WriteFile(dir / "a-b", "dash");
  WriteFile(dir / "a" / "x", "x");
  WriteFile(dir / "sub" / "b.txt", "abc");
  WriteFile(dir / "sub" / "deeper" / "c.bin", std::string("\x00\x01", 2));
  WriteFile(dir / "\xc3\xa9" / "\xc3\xbc.txt", "unicode");
  WriteFile(dir / "emoji\xf0\x9f\x98\x80.txt", "");
  WriteFile(dir / "quote\"back\\slash", "q");
  fs::create_directories(dir / "empty" / "nested");  // leaves no trace
}

const HashInfo kGolden{"f7e0f150c018c5d76de4ff20aa95c946.dir", 24, 8};

HashedObject HashOrDie(Hasher& hasher, const fs::path& path, bool want_tree = true) {
  Result<HashedObject> hashed = hasher.Hash(path, want_tree);
  EXPECT_TRUE(hashed.ok()) << hashed.status().ToString();
  return hashed.ok() ? std::move(hashed).value() : HashedObject{};
}

TEST(HasherTest, FileIsMd5AndSize) {
  TempDir dir;
  WriteFile(dir / "f", "abc");
  Hasher hasher(nullptr, nullptr);
  HashedObject hashed = HashOrDie(hasher, dir / "f");
  EXPECT_EQ(hashed.hash, (HashInfo{"900150983cd24fb0d6963f7d28e17f72", 3, std::nullopt}));
  EXPECT_FALSE(hashed.tree.has_value());
}

TEST(HasherTest, DirectoryMatchesPythonGolden) {
  TempDir dir;
  WriteGoldenTree(dir / "data");
  for (int threads : {1, 3}) {
    Hasher hasher(nullptr, nullptr, HasherOptions{threads});
    HashedObject hashed = HashOrDie(hasher, dir / "data");
    EXPECT_EQ(hashed.hash, kGolden);
    ASSERT_TRUE(hashed.tree.has_value());
    EXPECT_EQ(hashed.tree->hash, kGolden);
    EXPECT_EQ(hashed.tree->entries.size(), 8u);
  }
}

TEST(HasherTest, EmptyDirectory) {
  TempDir dir;
  fs::create_directories(dir / "e" / "only-dirs");
  Hasher hasher(nullptr, nullptr);
  EXPECT_EQ(HashOrDie(hasher, dir / "e").hash,
            (HashInfo{"d751713988987e9331980363e24189ce.dir", 0, 0}));
}

TEST(HasherTest, IgnoredEntriesAndDirectorySymlinksLeaveNoTrace) {
  TempDir repo;
  WriteGoldenTree(repo / "data");
  WriteFile(repo / ".dvcignore", "*.tmp\n");
  WriteFile(repo / "data" / "x.tmp", "ignored");
  WriteFile(repo / "data" / ".git" / "HEAD", "ignored");
  WriteFile(repo / "elsewhere" / "f", "outside");
  fs::create_directory_symlink(repo / "elsewhere", repo / "data" / "linked-dir");
  Result<IgnoreRules> rules = IgnoreRules::Load(repo.path());
  ASSERT_TRUE(rules.ok());
  Hasher hasher(nullptr, &*rules);
  EXPECT_EQ(HashOrDie(hasher, repo / "data").hash, kGolden);
}

TEST(HasherTest, SymlinkedFilesAreFollowed) {
  TempDir dir;
  WriteFile(dir / "target", "abc");
  WriteFile(dir / "d" / "real", "abc");
  fs::create_symlink(dir / "target", dir / "d" / "link");
  Hasher hasher(nullptr, nullptr);
  HashedObject hashed = HashOrDie(hasher, dir / "d");
  ASSERT_TRUE(hashed.tree.has_value());
  ASSERT_EQ(hashed.tree->entries.size(), 2u);
  EXPECT_EQ(hashed.tree->entries[0].relpath, "link");
  EXPECT_EQ(hashed.tree->entries[0].md5, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hashed.hash.size, 6u);
}

TEST(HasherTest, DvcignoreInsideTheDirectoryIsAnError) {
  TempDir dir;
  WriteFile(dir / "d" / "sub" / ".dvcignore", "x\n");
  Hasher hasher(nullptr, nullptr);
  Result<HashedObject> hashed = hasher.Hash(dir / "d");
  ASSERT_FALSE(hashed.ok());
  EXPECT_EQ(hashed.status().message(), ".dvcignore file should not be in collected dir path: '" +
                                           (dir / "d" / "sub").string() + "'");
}

TEST(HasherTest, MissingPathAndNonUtf8Names) {
  TempDir dir;
  Hasher hasher(nullptr, nullptr);
  Result<HashedObject> missing = hasher.Hash(dir / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "cannot hash " + (dir / "nope").string() + ": No such file or directory");
  WriteFile(dir / "d" / "bad\xff", "x");
  Result<HashedObject> bad = hasher.Hash(dir / "d");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "cannot hash " + (dir / "d").string() +
                ": file name is not valid UTF-8, which DVC requires: invalid UTF-8 at byte 3 "
                "of \"bad\"");
}

TEST(HasherTest, StatCacheSeesChangedFiles) {
  TempDir dir;
  WriteGoldenTree(dir / "data");
  WriteFile(dir / "single", "abc");
  MakeAllOld(dir.path());
  auto cache = StatCache::Open(dir / "stat.db");
  ASSERT_TRUE(cache.ok());
  Hasher hasher(cache->get(), nullptr, HasherOptions{2});
  EXPECT_EQ(HashOrDie(hasher, dir / "data").hash, kGolden);
  EXPECT_EQ(HashOrDie(hasher, dir / "single").hash.md5, "900150983cd24fb0d6963f7d28e17f72");

  // Same size and inode, a different mtime: the cache must miss.
  WriteFile(dir / "data" / "sub" / "b.txt", "xyz");
  MakeOld(dir / "data" / "sub" / "b.txt", /*extra_ns=*/7);
  WriteFile(dir / "single", "xyz");
  MakeOld(dir / "single", /*extra_ns=*/7);
  Hasher uncached(nullptr, nullptr);
  std::string truth = HashOrDie(uncached, dir / "data").hash.md5;
  EXPECT_NE(truth, kGolden.md5);
  EXPECT_EQ(HashOrDie(hasher, dir / "data").hash.md5, truth);
  EXPECT_EQ(HashOrDie(hasher, dir / "single").hash.md5, "d16fb36f0911f878998c136191af705e");
}

// The stat cache is trusted: rewriting a file's bytes while restoring its
// size, inode and mtime is invisible, which proves nothing was re-read.
TEST(HasherTest, WarmCacheHitReturnsRecordedHashesAndTree) {
  TempDir dir;
  WriteGoldenTree(dir / "data");
  // Fixed old mtimes so a rewrite can restore them exactly.
  for (const auto& entry : fs::recursive_directory_iterator(dir / "data")) {
    if (entry.is_regular_file()) {
      timespec times[2] = {{1000000000, 5}, {1000000000, 5}};
      ASSERT_EQ(::utimensat(AT_FDCWD, entry.path().c_str(), times, 0), 0);
    }
  }
  auto cache = StatCache::Open(dir / "stat.db");
  ASSERT_TRUE(cache.ok());
  {
    Hasher hasher(cache->get(), nullptr);
    EXPECT_EQ(HashOrDie(hasher, dir / "data").hash, kGolden);
  }
  // Rewrite a file in place with different bytes of the same size and put
  // the mtime back: only a cache hit can still report the golden hash.
  WriteFile(dir / "data" / "sub" / "b.txt", "xyz");
  timespec times[2] = {{1000000000, 5}, {1000000000, 5}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir / "data" / "sub" / "b.txt").c_str(), times, 0), 0);
  Hasher hasher(cache->get(), nullptr);
  HashedObject warm = HashOrDie(hasher, dir / "data");
  EXPECT_EQ(warm.hash, kGolden);
  ASSERT_TRUE(warm.tree.has_value());
  EXPECT_EQ(warm.tree->entries[5].relpath, "sub/b.txt");
  EXPECT_EQ(warm.tree->entries[5].md5, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(HashOrDie(hasher, dir / "data", /*want_tree=*/false).hash, kGolden);
}

TEST(HasherTest, RecentlyModifiedFilesAreNotCached) {
  TempDir dir;
  WriteFile(dir / "d" / "f", "abc");  // mtime = now: inside the racy window
  auto cache = StatCache::Open(dir / "stat.db");
  ASSERT_TRUE(cache.ok());
  Hasher hasher(cache->get(), nullptr);
  HashOrDie(hasher, dir / "d");
  auto records = (*cache)->LoadFilesUnder(fs::absolute(dir / "d").lexically_normal().string());
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

}  // namespace
}  // namespace conveyor
