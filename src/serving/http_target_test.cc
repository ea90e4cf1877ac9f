#include "serving/http_target.h"

#include <gtest/gtest.h>

namespace conveyor::serving {
namespace {

TEST(PercentDecodeTest, Decodes) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b%2B", true), "a b+");
  EXPECT_EQ(PercentDecode("%c3%A9", false), "\xc3\xa9");
}

TEST(PercentDecodeTest, RejectsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("%", false), std::nullopt);
  EXPECT_EQ(PercentDecode("ab%2", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%zz", false), std::nullopt);
}

TEST(ParseTargetTest, SplitsPathAndQuery) {
  Result<ParsedTarget> parsed =
      ParseTarget("/replace%20model?tag=a%26b&x=1&x=2&flag&&q=hello+world");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->path, "/replace model");
  EXPECT_EQ(parsed->query, (std::map<std::string, std::string>{
                               {"tag", "a&b"}, {"x", "2"}, {"flag", ""}, {"q", "hello world"}}));
}

TEST(ParseTargetTest, NoQuery) {
  Result<ParsedTarget> parsed = ParseTarget("/health");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->path, "/health");
  EXPECT_TRUE(parsed->query.empty());
}

TEST(ParseTargetTest, NamesTheBadPart) {
  EXPECT_EQ(ParseTarget("/a%zz").status().message(),
            "invalid percent-encoding in the path: \"/a%zz\"");
  EXPECT_EQ(ParseTarget("/a?k=%2").status().message(),
            "invalid percent-encoding in the query: \"k=%2\"");
}

}  // namespace
}  // namespace conveyor::serving
