#include "remote/ordered_md5.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

TEST(OrderedMd5Test, InOrderPiecesHashLikeTheWhole) {
  OrderedMd5 hash;
  hash.Add(0, "hello ");
  hash.Add(6, "world");
  Result<FileDigest> digest = hash.Finish("f");
  ASSERT_TRUE(digest.ok()) << digest.status().message();
  EXPECT_EQ(digest->md5, Md5Hex("hello world"));
  EXPECT_EQ(digest->size, 11u);
}

TEST(OrderedMd5Test, PiecesAheadOfAGapWaitForIt) {
  OrderedMd5 hash;
  hash.Add(8, "ij");
  hash.Add(4, "efgh");
  hash.Add(0, "ab");
  hash.Add(2, "cd");  // a short read's remainder, completed last
  Result<FileDigest> digest = hash.Finish("f");
  ASSERT_TRUE(digest.ok()) << digest.status().message();
  EXPECT_EQ(digest->md5, Md5Hex("abcdefghij"));
  EXPECT_EQ(digest->size, 10u);
}

TEST(OrderedMd5Test, GapsAndOverlapsAreErrorsAndFinishResets) {
  OrderedMd5 hash;
  hash.Add(0, "ab");
  hash.Add(4, "ef");
  Result<FileDigest> gap = hash.Finish("s3://b/k");
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.status().message(), "s3://b/k: bytes 2 to 4 were never written");

  hash.Add(0, "abc");
  hash.Add(1, "bc");
  Result<FileDigest> overlap = hash.Finish("k");
  ASSERT_FALSE(overlap.ok());
  EXPECT_EQ(overlap.status().message(), "k: pieces written at overlapping offsets");

  Result<FileDigest> empty = hash.Finish("k");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->md5, Md5Hex(""));
  EXPECT_EQ(empty->size, 0u);
}

}  // namespace
}  // namespace conveyor
