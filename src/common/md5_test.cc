#include "common/md5.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using ::conveyor::testing::TempDir;
using ::conveyor::testing::WriteFile;

TEST(Md5Test, KnownVectors) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Md5Hex("The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6");
}

TEST(Md5Test, StreamingEqualsOneShotAndResets) {
  Md5 md5;
  md5.Update("The quick brown ");
  md5.Update("");
  md5.Update("fox jumps over the lazy dog");
  EXPECT_EQ(md5.HexDigest(), "9e107d9d372bb6826bd81d3542a419d6");
  // HexDigest() resets: the next message starts from scratch.
  md5.Update("abc");
  EXPECT_EQ(md5.HexDigest(), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Md5Test, MovedObjectKeepsState) {
  Md5 a;
  a.Update("ab");
  Md5 b = std::move(a);
  b.Update("c");
  EXPECT_EQ(b.HexDigest(), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Md5Test, ToHex) { EXPECT_EQ(ToHex(std::string("\x01\xab\xff", 3)), "01abff"); }

TEST(Md5FileTest, EmptyAndSmallFiles) {
  TempDir dir;
  WriteFile(dir / "empty", "");
  WriteFile(dir / "abc", "abc");
  Result<FileDigest> empty = Md5File(dir / "empty");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, (FileDigest{"d41d8cd98f00b204e9800998ecf8427e", 0}));
  Result<FileDigest> abc = Md5File(dir / "abc");
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(*abc, (FileDigest{"900150983cd24fb0d6963f7d28e17f72", 3}));
}

TEST(Md5FileTest, FileLargerThanTheBuffer) {
  TempDir dir;
  // 3,000,000 'x' bytes: spans several 1 MiB reads. Expected value from
  // `head -c 3000000 /dev/zero | tr '\0' x | md5sum`.
  WriteFile(dir / "big", std::string(3000000, 'x'));
  Result<FileDigest> big = Md5File(dir / "big");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->md5, "8e32e22642bddc89698e25a4e9bf528b");
  EXPECT_EQ(big->size, 3000000u);
}

TEST(Md5FileTest, ErrorsNameThePath) {
  TempDir dir;
  Result<FileDigest> missing = Md5File(dir / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kIo);
  EXPECT_EQ(missing.status().message(),
            "cannot read " + (dir / "nope").string() + ": No such file or directory");

  Result<FileDigest> directory = Md5File(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().code(), Code::kInvalid);
  EXPECT_EQ(directory.status().message(),
            "cannot hash " + dir.path().string() + ": not a regular file");
}

}  // namespace
}  // namespace conveyor
