#include "cache/legacy_hash.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

TEST(IsTextBlockTest, FollowsDvc2Heuristic) {
  EXPECT_TRUE(IsTextBlock(""));
  EXPECT_TRUE(IsTextBlock("plain text\r\n"));
  EXPECT_FALSE(IsTextBlock(std::string("a\0b", 3)));
  // 3 of 10 bytes outside the text set is still text; 4 of 10 is not.
  EXPECT_TRUE(
      IsTextBlock("\x80\x81\x82"
                  "abcdefg"));
  EXPECT_FALSE(
      IsTextBlock("\x80\x81\x82\x83"
                  "abcdef"));
}

TEST(LegacyMd5Test, TextFilesAreHashedWithUnixLineEndings) {
  testing::TempDir dir;
  testing::WriteFile(dir / "crlf.txt", "a\r\nb\r\n");
  // md5("a\nb\n"): the DVC 2 digest of the CRLF file equals the LF file's.
  EXPECT_EQ(*LegacyMd5(dir / "crlf.txt", nullptr, ""), "dd8c6a395b5dd36c56d23275028f526c");
  testing::WriteFile(dir / "bin", std::string("\0\r\n", 3));
  // md5 of the three raw bytes: binary files are not converted.
  EXPECT_EQ(*LegacyMd5(dir / "bin", nullptr, ""), "692c8022360661692872fdc730517229");
}

TEST(LegacyMd5Test, DirectoryUsesTheDvc2DigestsOfItsFiles) {
  testing::TempDir dir;
  testing::WriteFile(dir / "d/a.txt", "a\r\nb\r\n");
  testing::WriteFile(dir / "d/sub/b.txt", "A\nB\n");
  // Same entries as a.txt = "a\nb\n", sub/b.txt = "A\nB\n" in DVC 3 terms.
  EXPECT_EQ(*LegacyMd5(dir / "d", nullptr, ""), "06994a2c53097535d9255b59d88d9ffe.dir");
}

}  // namespace
}  // namespace conveyor
