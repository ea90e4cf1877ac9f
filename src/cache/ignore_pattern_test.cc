#include "cache/ignore_pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace conveyor {
namespace {

// Expectations follow pathspec 0.12's GitWildMatchPattern.pattern_to_regex
// (the translation DVC uses) applied as dvc/ignore.py does: a directory is
// tried as "path" and as "path/".

IgnorePattern P(std::string_view text) {
  Result<IgnorePattern> pattern = IgnorePattern::Parse(text);
  EXPECT_TRUE(pattern.ok()) << pattern.status().ToString();
  return std::move(pattern).value();
}

TEST(IgnorePatternTest, BareNameMatchesAtAnyDepthAndBelow) {
  IgnorePattern p = P("foo");
  EXPECT_TRUE(p.Matches("foo", false));
  EXPECT_TRUE(p.Matches("a/b/foo", false));
  EXPECT_TRUE(p.Matches("foo", true));
  EXPECT_TRUE(p.Matches("foo/bar", false));
  EXPECT_FALSE(p.Matches("foobar", false));
  EXPECT_FALSE(p.Matches("xfoo", false));
}

TEST(IgnorePatternTest, LeadingOrInnerSlashAnchors) {
  IgnorePattern root_only = P("/foo");
  EXPECT_TRUE(root_only.Matches("foo", false));
  EXPECT_FALSE(root_only.Matches("a/foo", false));
  IgnorePattern inner = P("a/b");
  EXPECT_TRUE(inner.Matches("a/b", false));
  EXPECT_FALSE(inner.Matches("x/a/b", false));
}

TEST(IgnorePatternTest, TrailingSlashIsDirectoryOnly) {
  IgnorePattern p = P("build/");
  EXPECT_TRUE(p.dir_only());
  EXPECT_TRUE(p.Matches("build", true));
  EXPECT_TRUE(p.Matches("src/build", true));
  EXPECT_FALSE(p.Matches("build", false));
}

TEST(IgnorePatternTest, StarQuestionAndClasses) {
  IgnorePattern star = P("*.log");
  EXPECT_TRUE(star.Matches("x.log", false));
  EXPECT_TRUE(star.Matches("d/.log", false));
  EXPECT_FALSE(star.Matches("x.logs", false));
  IgnorePattern anchored_star = P("/d/*.tmp");
  EXPECT_TRUE(anchored_star.Matches("d/a.tmp", false));
  EXPECT_FALSE(anchored_star.Matches("d/e/a.tmp", false));
  IgnorePattern question = P("file?.txt");
  EXPECT_TRUE(question.Matches("file1.txt", false));
  EXPECT_TRUE(question.Matches("file\xc3\xa9.txt", false));  // one character, two bytes
  EXPECT_FALSE(question.Matches("file.txt", false));
  EXPECT_FALSE(question.Matches("file12.txt", false));
  IgnorePattern range = P("img[0-9].png");
  EXPECT_TRUE(range.Matches("img7.png", false));
  EXPECT_FALSE(range.Matches("imgx.png", false));
  IgnorePattern negated = P("img[!0-9].png");
  EXPECT_TRUE(negated.Matches("imgx.png", false));
  EXPECT_FALSE(negated.Matches("img7.png", false));
  IgnorePattern caret = P("v[^a]");
  EXPECT_TRUE(caret.Matches("vb", false));
  EXPECT_FALSE(caret.Matches("va", false));
  IgnorePattern unclosed = P("a[b");
  EXPECT_TRUE(unclosed.Matches("a[b", false));
}

TEST(IgnorePatternTest, WholeComponentStarNeedsOneCharacter) {
  IgnorePattern p = P("/a/*");
  EXPECT_TRUE(p.Matches("a/x", false));
  EXPECT_TRUE(p.Matches("a/x/y", false));
  EXPECT_FALSE(p.Matches("a", true));
}

TEST(IgnorePatternTest, DoubleStar) {
  IgnorePattern leading = P("**/logs");
  EXPECT_TRUE(leading.Matches("logs", true));
  EXPECT_TRUE(leading.Matches("a/b/logs", true));
  IgnorePattern inner = P("a/**/b");
  EXPECT_TRUE(inner.Matches("a/b", false));
  EXPECT_TRUE(inner.Matches("a/x/b", false));
  EXPECT_TRUE(inner.Matches("a/x/y/b", false));
  EXPECT_FALSE(inner.Matches("ab", false));
  IgnorePattern trailing = P("data/**");
  EXPECT_TRUE(trailing.Matches("data/x", false));
  EXPECT_TRUE(trailing.Matches("data/x/y", false));
  EXPECT_FALSE(trailing.Matches("data", false));
  // pathspec's "data/.*" also matches "data/", i.e. the directory itself.
  EXPECT_TRUE(trailing.Matches("data", true));
  IgnorePattern all = P("**");
  EXPECT_TRUE(all.Matches("x", false));
  EXPECT_TRUE(all.Matches("x/y", false));
  IgnorePattern dirs = P("**/");
  EXPECT_TRUE(dirs.Matches("x", true));
  EXPECT_FALSE(dirs.Matches("x", false));
  IgnorePattern mid = P("a**b");  // '**' inside a component is '*'
  EXPECT_TRUE(mid.Matches("axyb", false));
  EXPECT_FALSE(mid.Matches("ax/yb", false));
}

TEST(IgnorePatternTest, NegationAndEscapes) {
  IgnorePattern keep = P("!keep.txt");
  EXPECT_TRUE(keep.negated());
  EXPECT_TRUE(keep.Matches("keep.txt", false));
  IgnorePattern bang = P("\\!important");
  EXPECT_FALSE(bang.negated());
  EXPECT_TRUE(bang.Matches("!important", false));
  IgnorePattern hash = P("\\#notes");
  EXPECT_TRUE(hash.Matches("#notes", false));
  IgnorePattern star = P("literal\\*");
  EXPECT_TRUE(star.Matches("literal*", false));
  EXPECT_FALSE(star.Matches("literalx", false));
}

TEST(IgnorePatternTest, NoOpAndInvalidLines) {
  Result<IgnorePattern> slash = IgnorePattern::Parse("/");
  ASSERT_TRUE(slash.ok());
  EXPECT_FALSE(slash->Matches("", true));
  EXPECT_FALSE(slash->Matches("x", false));
  Result<IgnorePattern> trailing_escape = IgnorePattern::Parse("foo\\");
  ASSERT_FALSE(trailing_escape.ok());
  EXPECT_EQ(trailing_escape.status().message(),
            "invalid pattern 'foo\\': it ends with an escape (\\)");
  EXPECT_FALSE(IgnorePattern::Parse("!").ok());
}

TEST(IgnorePatternTest, ManyStarsStayFast) {
  IgnorePattern p = P("*a*a*a*a*a*a*a*a*b");
  std::string name(200, 'a');
  EXPECT_FALSE(p.Matches(name, false));
}

}  // namespace
}  // namespace conveyor
