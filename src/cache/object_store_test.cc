#include "cache/object_store.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <vector>

#include "cache/file_link.h"
#include "cache/hasher.h"
#include "common/md5.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using ::conveyor::testing::ReadFile;
using ::conveyor::testing::TempDir;
using ::conveyor::testing::WriteFile;

constexpr char kAbc[] = "900150983cd24fb0d6963f7d28e17f72";  // md5("abc")

mode_t ModeOf(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

ino_t InodeOf(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

size_t CountFiles(const fs::path& dir) {
  size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    n += entry.is_regular_file();
  return n;
}

HashedObject HashOrDie(const fs::path& path) {
  Hasher hasher(nullptr, nullptr);
  Result<HashedObject> hashed = hasher.Hash(path);
  EXPECT_TRUE(hashed.ok()) << hashed.status().ToString();
  return std::move(hashed).value();
}

TEST(ObjectStoreTest, Layout) {
  ObjectStore store("/r/.dvc/cache");
  EXPECT_EQ(store.ObjectPath(kAbc), "/r/.dvc/cache/files/md5/90/0150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(store.ObjectPath("d751713988987e9331980363e24189ce.dir"),
            "/r/.dvc/cache/files/md5/d7/51713988987e9331980363e24189ce.dir");
  EXPECT_EQ(store.LegacyObjectPath(kAbc), "/r/.dvc/cache/90/0150983cd24fb0d6963f7d28e17f72");
}

TEST(ObjectStoreTest, SaveFileWritesAReadOnlyObjectAndNoTemporaries) {
  TempDir dir;
  WriteFile(dir / "ws" / "f", "abc");
  ObjectStore store(dir / "cache");
  ASSERT_TRUE(store.Save(dir / "ws" / "f", HashInfo{kAbc, 3, std::nullopt}, nullptr).ok());
  fs::path object = store.ObjectPath(kAbc);
  EXPECT_EQ(ReadFile(object), "abc");
  EXPECT_EQ(ModeOf(object) & 07777, 0444u);
  EXPECT_EQ(CountFiles(dir / "cache"), 1u);
  EXPECT_TRUE(store.Contains(HashInfo{kAbc, 3, std::nullopt}));
  EXPECT_EQ(ReadFile(dir / "ws" / "f"), "abc");  // the workspace is untouched
}

TEST(ObjectStoreTest, ProtectedObjectIsTrustedOtherIsVerified) {
  TempDir dir;
  WriteFile(dir / "f", "abc");
  ObjectStore store(dir / "cache");
  fs::path object = store.ObjectPath(kAbc);
  // A 0444 object of the right size is not re-read, even if (hypothetically)
  // wrong: DVC trusts protected objects the same way.
  WriteFile(object, "zzz");
  fs::permissions(object, static_cast<fs::perms>(0444));
  ASSERT_TRUE(store.Save(dir / "f", HashInfo{kAbc, 3, std::nullopt}, nullptr).ok());
  EXPECT_EQ(ReadFile(object), "zzz");
  // A writable object is verified and replaced when wrong.
  fs::permissions(object, static_cast<fs::perms>(0644));
  ASSERT_TRUE(store.Save(dir / "f", HashInfo{kAbc, 3, std::nullopt}, nullptr).ok());
  EXPECT_EQ(ReadFile(object), "abc");
  EXPECT_EQ(ModeOf(object) & 07777, 0444u);
}

TEST(ObjectStoreTest, SaveRefusesContentThatNoLongerMatches) {
  TempDir dir;
  WriteFile(dir / "f", "xyz");
  ObjectStore store(dir / "cache");
  Status status = store.Save(dir / "f", HashInfo{kAbc, 3, std::nullopt}, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kFailed);
  EXPECT_EQ(status.message(), "saving " + (dir / "f").string() + ": cannot save " +
                                  (dir / "f").string() +
                                  ": it changed while being saved (expected md5 " + kAbc +
                                  ", read d16fb36f0911f878998c136191af705e)");
  EXPECT_EQ(CountFiles(dir / "cache"), 0u);
}

TEST(ObjectStoreTest, SaveDirectoryWritesEntriesAndDirObject) {
  TempDir dir;
  WriteFile(dir / "data" / "a", "abc");
  WriteFile(dir / "data" / "sub" / "b", "xyz");
  HashedObject hashed = HashOrDie(dir / "data");
  ObjectStore store(dir / "cache");
  ASSERT_TRUE(store.Save(dir / "data", hashed.hash, &*hashed.tree).ok());
  EXPECT_EQ(ReadFile(store.ObjectPath(hashed.hash.md5)), hashed.tree->json);
  EXPECT_EQ(ModeOf(store.ObjectPath(hashed.hash.md5)) & 07777, 0444u);
  EXPECT_TRUE(store.Contains(hashed.hash));
  Result<Tree> loaded = store.LoadTree(hashed.hash.md5);
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->entries.size(), 2u);
  EXPECT_EQ(loaded->entries[1].relpath, "sub/b");
  EXPECT_EQ(loaded->entries[1].md5, "d16fb36f0911f878998c136191af705e");

  fs::remove(store.ObjectPath("d16fb36f0911f878998c136191af705e"));
  EXPECT_FALSE(store.Contains(hashed.hash));
  EXPECT_FALSE(store.Save(dir / "data", hashed.hash, nullptr).ok());
}

TEST(ObjectStoreTest, ReadsTheDvc2Layout) {
  TempDir dir;
  ObjectStore store(dir / "cache");
  WriteFile(store.LegacyObjectPath(kAbc), "abc");
  EXPECT_EQ(store.Find(kAbc), store.LegacyObjectPath(kAbc));
  EXPECT_TRUE(store.Contains(HashInfo{kAbc, 3, std::nullopt}));
  ASSERT_TRUE(store
                  .Checkout(dir / "out", HashInfo{kAbc, 3, std::nullopt},
                            std::vector<LinkType>{LinkType::kCopy})
                  .ok());
  EXPECT_EQ(ReadFile(dir / "out"), "abc");
}

TEST(ObjectStoreTest, LoadTreeRejectsCorruptObjects) {
  TempDir dir;
  ObjectStore store(dir / "cache");
  std::string md5 = "d751713988987e9331980363e24189ce.dir";  // md5("[]")
  WriteFile(store.ObjectPath(md5), "[ ]");
  Result<Tree> tree = store.LoadTree(md5);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.status().message(),
            store.ObjectPath(md5).string() +
                ": corrupted directory object: its content hashes to "
                "fa9497f5acccafcc3e6019657bdc5eb1.dir");  // md5sum of "[ ]"
  EXPECT_EQ(store.LoadTree("00000000000000000000000000000000.dir").status().code(),
            Code::kNotFound);
}

TEST(ObjectStoreTest, CopyCheckoutOfALargeObjectIsExact) {
  // Several MiB, so the in-kernel copy takes more than one step where the
  // filesystem splits it, and a short copy would show.
  TempDir dir;
  std::string data(5 * 1024 * 1024 + 17, '\0');
  uint32_t x = 7;
  for (char& c : data) {
    x = x * 1664525U + 1013904223U;
    c = static_cast<char>(x >> 24);
  }
  WriteFile(dir / "src", data);
  const std::string md5 = Md5Hex(data);
  HashInfo hash{md5, data.size(), std::nullopt};
  ObjectStore store(dir / "cache");
  ASSERT_TRUE(store.Save(dir / "src", hash, nullptr).ok());
  ASSERT_TRUE(store.Checkout(dir / "copy", hash, std::vector<LinkType>{LinkType::kCopy}).ok());
  EXPECT_EQ(ReadFile(dir / "copy").size(), data.size());
  EXPECT_TRUE(ReadFile(dir / "copy") == data);
  EXPECT_NE(InodeOf(dir / "copy"), InodeOf(store.ObjectPath(md5)));
}

TEST(ObjectStoreTest, CheckoutFileWithEachLinkType) {
  TempDir dir;
  WriteFile(dir / "src", "abc");
  ObjectStore store(dir / "cache");
  HashInfo hash{kAbc, 3, std::nullopt};
  ASSERT_TRUE(store.Save(dir / "src", hash, nullptr).ok());
  fs::path object = store.ObjectPath(kAbc);

  ASSERT_TRUE(store.Checkout(dir / "copy", hash, std::vector<LinkType>{LinkType::kCopy}).ok());
  EXPECT_EQ(ReadFile(dir / "copy"), "abc");
  EXPECT_NE(InodeOf(dir / "copy"), InodeOf(object));
  EXPECT_NE(ModeOf(dir / "copy") & S_IWUSR, 0u);

  ASSERT_TRUE(store.Checkout(dir / "hard", hash, std::vector<LinkType>{LinkType::kHardlink}).ok());
  EXPECT_EQ(InodeOf(dir / "hard"), InodeOf(object));

  ASSERT_TRUE(store.Checkout(dir / "sym", hash, std::vector<LinkType>{LinkType::kSymlink}).ok());
  EXPECT_TRUE(fs::is_symlink(dir / "sym"));
  EXPECT_EQ(fs::read_symlink(dir / "sym"), fs::absolute(object).lexically_normal());

  // DVC's default order; whichever works, the content is right.
  WriteFile(dir / "default", "stale");
  ASSERT_TRUE(store.Checkout(dir / "default", hash, DefaultLinkTypes()).ok());
  EXPECT_EQ(ReadFile(dir / "default"), "abc");
}

TEST(ObjectStoreTest, CopyCheckoutOfManyFilesReplacesAndLeavesNoTemporaries) {
  TempDir dir;
  // Enough files for every checkout thread to take several, in two folders.
  for (int i = 0; i < 200; ++i)
    WriteFile(dir / "data" / (i % 2 == 0 ? "even" : "odd") / fmt::format("f{}", i),
              fmt::format("content {}", i));
  HashedObject hashed = HashOrDie(dir / "data");
  ObjectStore store(dir / "cache");
  ASSERT_TRUE(store.Save(dir / "data", hashed.hash, &*hashed.tree).ok());
  // Some workspace files exist with other content: replaced in one step.
  fs::remove_all(dir / "data");
  WriteFile(dir / "data" / "even" / "f0", "stale");
  WriteFile(dir / "data" / "odd" / "f1", "stale");
  std::vector<LinkType> copy{LinkType::kCopy};
  Status status = store.Checkout(dir / "data", hashed.hash, copy);
  ASSERT_TRUE(status.ok()) << status.ToString();
  for (int i = 0; i < 200; ++i) {
    fs::path file = dir / "data" / (i % 2 == 0 ? "even" : "odd") / fmt::format("f{}", i);
    EXPECT_EQ(ReadFile(file), fmt::format("content {}", i)) << file;
    EXPECT_NE(ModeOf(file) & S_IWUSR, 0u) << file;
  }
  // Exactly the tree's files: no temporary names left anywhere.
  EXPECT_EQ(CountFiles(dir / "data"), 200u);
}

TEST(ObjectStoreTest, PlaceLinkReplacesAFileWithACompleteCopy) {
  TempDir dir;
  WriteFile(dir / "src", "new content");
  WriteFile(dir / "dst", "old");
  ASSERT_TRUE(PlaceLink(LinkType::kCopy, dir / "src", dir / "dst").ok());
  EXPECT_EQ(ReadFile(dir / "dst"), "new content");
  ASSERT_TRUE(PlaceLink(LinkType::kCopy, dir / "src", dir / "fresh").ok());
  EXPECT_EQ(ReadFile(dir / "fresh"), "new content");
  EXPECT_EQ(CountFiles(dir.path()), 3u);  // src, dst, fresh
  Status missing = PlaceLink(LinkType::kCopy, dir / "absent", dir / "dst");
  EXPECT_EQ(missing.code(), Code::kIo);
  EXPECT_EQ(ReadFile(dir / "dst"), "new content");  // untouched on failure
}

TEST(ObjectStoreTest, CheckoutErrors) {
  TempDir dir;
  ObjectStore store(dir / "cache");
  Status missing = store.Checkout(dir / "out", HashInfo{kAbc, 3, std::nullopt}, DefaultLinkTypes());
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_EQ(missing.message(), "cannot check out " + (dir / "out").string() + ": object " + kAbc +
                                   " is not in the cache " + (dir / "cache").string());
  WriteFile(dir / "src", "abc");
  ASSERT_TRUE(store.Save(dir / "src", HashInfo{kAbc, 3, std::nullopt}, nullptr).ok());
  Status none = store.Checkout(dir / "out", HashInfo{kAbc, 3, std::nullopt}, {});
  EXPECT_EQ(none.message(), "cannot check out " + (dir / "out").string() +
                                ": no link type worked (none configured)");
}

TEST(ObjectStoreTest, CheckoutDirectoryRemovesStaleFilesButKeepsIgnoredOnes) {
  TempDir repo;
  WriteFile(repo / "data" / "a", "abc");
  WriteFile(repo / "data" / "sub" / "b", "xyz");
  HashedObject hashed = HashOrDie(repo / "data");
  ObjectStore store(repo / ".dvc" / "cache");
  ASSERT_TRUE(store.Save(repo / "data", hashed.hash, &*hashed.tree).ok());

  WriteFile(repo / "data" / "a", "changed");
  WriteFile(repo / "data" / "extra" / "deep" / "stale", "s");
  WriteFile(repo / "data" / "keep.log", "ignored");
  fs::remove(repo / "data" / "sub" / "b");
  WriteFile(repo / ".dvcignore", "*.log\n");
  Result<IgnoreRules> rules = IgnoreRules::Load(repo.path());
  ASSERT_TRUE(rules.ok());
  ASSERT_TRUE(
      store
          .Checkout(repo / "data", hashed.hash, std::vector<LinkType>{LinkType::kHardlink}, &*rules)
          .ok());
  EXPECT_EQ(ReadFile(repo / "data" / "a"), "abc");
  EXPECT_EQ(ReadFile(repo / "data" / "sub" / "b"), "xyz");
  EXPECT_EQ(ReadFile(repo / "data" / "keep.log"), "ignored");
  EXPECT_FALSE(fs::exists(repo / "data" / "extra"));
  Hasher with_rules(nullptr, &*rules);
  Result<HashedObject> again = with_rules.Hash(repo / "data");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->hash, hashed.hash);
}

TEST(ObjectStoreTest, UnprotectReplacesLinksWithWritableCopies) {
  TempDir dir;
  WriteFile(dir / "src", "abc");
  ObjectStore store(dir / "cache");
  HashInfo hash{kAbc, 3, std::nullopt};
  ASSERT_TRUE(store.Save(dir / "src", hash, nullptr).ok());
  fs::path object = store.ObjectPath(kAbc);
  ASSERT_TRUE(
      store.Checkout(dir / "out" / "hard", hash, std::vector<LinkType>{LinkType::kHardlink}).ok());
  ASSERT_TRUE(
      store.Checkout(dir / "out" / "sym", hash, std::vector<LinkType>{LinkType::kSymlink}).ok());

  ASSERT_TRUE(store.Unprotect(dir / "out").ok());
  for (const char* name : {"hard", "sym"}) {
    fs::path file = dir / "out" / name;
    EXPECT_TRUE(S_ISREG(ModeOf(file))) << name;
    EXPECT_NE(InodeOf(file), InodeOf(object)) << name;
    EXPECT_NE(ModeOf(file) & S_IWUSR, 0u) << name;
    EXPECT_EQ(ReadFile(file), "abc");
  }
  // The cache object is untouched and still protected.
  EXPECT_EQ(ModeOf(object) & 07777, 0444u);
  EXPECT_EQ(ReadFile(object), "abc");

  Status missing = store.Unprotect(dir / "nope");
  EXPECT_EQ(missing.message(),
            "cannot unprotect " + (dir / "nope").string() + ": No such file or directory");
}

}  // namespace
}  // namespace conveyor
