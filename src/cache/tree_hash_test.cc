#include "cache/tree_hash.h"

#include <gtest/gtest.h>

#include <string>

namespace conveyor {
namespace {

// Golden values: Debian's /usr/bin/python3 (3.11.2) running DVC's rule
// (dvc_data/hashfile/tree.py `Tree.as_list` + `Tree.as_bytes` + `digest`):
//   entries.sort(key=lambda e: e["relpath"])
//   b = json.dumps(entries, sort_keys=True).encode("utf-8")
//   hashlib.md5(b).hexdigest() + ".dir"

constexpr char kGoldenJson[] =
    R"([{"md5": "b999a7c3bcc5535b4c8e277e18b7b6e1", "relpath": "a-b"}, )"
    R"({"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "a.txt"}, )"
    R"({"md5": "9dd4e461268c8034f5c8564e155c67a6", "relpath": "a/x"}, )"
    R"({"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "emoji\ud83d\ude00.txt"}, )"
    R"({"md5": "7694f4a66316e53c8cdd9d9954bd611d", "relpath": "quote\"back\\slash"}, )"
    R"({"md5": "900150983cd24fb0d6963f7d28e17f72", "relpath": "sub/b.txt"}, )"
    R"({"md5": "441077cc9e57554dd476bdfb8b8b8102", "relpath": "sub/deeper/c.bin"}, )"
    R"({"md5": "8ab3b19e134f01fbaf94b8e15f3df090", "relpath": "\u00e9/\u00fc.txt"}])";

std::vector<TreeEntry> GoldenEntriesUnsorted() {
  return {
      {"\xc3\xa9/\xc3\xbc.txt", "8ab3b19e134f01fbaf94b8e15f3df090", 7},
      {"sub/deeper/c.bin", "441077cc9e57554dd476bdfb8b8b8102", 2},
      {"a/x", "9dd4e461268c8034f5c8564e155c67a6", 1},
      {"a.txt", "b1946ac92492d2347c6235b4d2611184", 6},
      {"a-b", "b999a7c3bcc5535b4c8e277e18b7b6e1", 4},
      {"emoji\xf0\x9f\x98\x80.txt", "d41d8cd98f00b204e9800998ecf8427e", 0},
      {"quote\"back\\slash", "7694f4a66316e53c8cdd9d9954bd611d", 1},
      {"sub/b.txt", "900150983cd24fb0d6963f7d28e17f72", 3},
  };
}

TEST(BuildTreeTest, EmptyDirectory) {
  Result<Tree> tree = BuildTree({});
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ(tree->json, "[]");
  EXPECT_EQ(tree->hash, (HashInfo{"d751713988987e9331980363e24189ce.dir", 0, 0}));
}

TEST(BuildTreeTest, OneFile) {
  Result<Tree> tree = BuildTree({{"x", "9dd4e461268c8034f5c8564e155c67a6", 1}});
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ(tree->json, R"([{"md5": "9dd4e461268c8034f5c8564e155c67a6", "relpath": "x"}])");
  EXPECT_EQ(tree->hash, (HashInfo{"9b1345c7a223c1e3b15054d677977ced.dir", 1, 1}));
}

TEST(BuildTreeTest, NestedAndNonAsciiNamesMatchPython) {
  Result<Tree> tree = BuildTree(GoldenEntriesUnsorted());
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_EQ(tree->json, kGoldenJson);
  EXPECT_EQ(tree->hash, (HashInfo{"f7e0f150c018c5d76de4ff20aa95c946.dir", 24, 8}));
  ASSERT_EQ(tree->entries.size(), 8u);
  // Sorted by relpath bytes: '-' < '.' < '/' and ASCII before U+00E9.
  EXPECT_EQ(tree->entries[0].relpath, "a-b");
  EXPECT_EQ(tree->entries[2].relpath, "a/x");
  EXPECT_EQ(tree->entries[7].relpath, "\xc3\xa9/\xc3\xbc.txt");
}

TEST(BuildTreeTest, RejectsDuplicatesAndInvalidUtf8) {
  Result<Tree> dup = BuildTree(
      {{"a", "d41d8cd98f00b204e9800998ecf8427e", 0}, {"a", "d41d8cd98f00b204e9800998ecf8427e", 0}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "duplicate directory entry 'a'");

  Result<Tree> bad = BuildTree({{"ab\xff", "d41d8cd98f00b204e9800998ecf8427e", 0}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalid);
  EXPECT_EQ(bad.status().message(),
            "file name is not valid UTF-8, which DVC requires: invalid UTF-8 at byte 2 of \"ab\"");
}

TEST(ParseTreeTest, RoundTripsTheGoldenObject) {
  Result<Tree> tree = ParseTree(kGoldenJson);
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_EQ(tree->hash.md5, "f7e0f150c018c5d76de4ff20aa95c946.dir");
  EXPECT_EQ(tree->hash.nfiles, 8u);
  ASSERT_EQ(tree->entries.size(), 8u);
  EXPECT_EQ(tree->entries[3].relpath, "emoji\xf0\x9f\x98\x80.txt");
  EXPECT_EQ(tree->entries[4].relpath, "quote\"back\\slash");
  EXPECT_EQ(tree->json, kGoldenJson);
}

TEST(ParseTreeTest, AcceptsWithMetaSizes) {
  Result<Tree> tree =
      ParseTree(R"([{"md5": "9dd4e461268c8034f5c8564e155c67a6", "relpath": "x", "size": 1}])");
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ(tree->entries[0].size, 1u);
  EXPECT_EQ(tree->hash.size, 1u);
}

TEST(ParseTreeTest, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(ParseTree("{").status().message(), "directory object is not valid JSON");
  EXPECT_EQ(ParseTree("{}").status().message(), "directory object is not a JSON list");
  EXPECT_EQ(ParseTree(R"([{"md5": "zz", "relpath": "x"}])").status().message(),
            "directory object entry 0 needs a string \"relpath\" and a 32-hex-digit \"md5\"");
}

}  // namespace
}  // namespace conveyor
