#include "cache/dvcignore.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using ::conveyor::testing::TempDir;
using ::conveyor::testing::WriteFile;

IgnoreRules LoadOrDie(const std::filesystem::path& root) {
  Result<IgnoreRules> rules = IgnoreRules::Load(root);
  EXPECT_TRUE(rules.ok()) << rules.status().ToString();
  return std::move(rules).value();
}

TEST(IgnoreRulesTest, BuiltinsIgnoreVcsAndDvcDirectoriesAtAnyDepth) {
  TempDir repo;
  IgnoreRules rules = LoadOrDie(repo.path());
  EXPECT_TRUE(rules.OnlyBuiltins());
  EXPECT_TRUE(rules.IsIgnored(".git", true));
  EXPECT_TRUE(rules.IsIgnored(".git", false));  // a worktree's .git file
  EXPECT_TRUE(rules.IsIgnored("data/.git/HEAD", false));
  EXPECT_TRUE(rules.IsIgnored("data/.hg", true));
  EXPECT_FALSE(rules.IsIgnored("data/.hg", false));
  EXPECT_TRUE(rules.IsIgnored(".dvc", true));
  EXPECT_TRUE(rules.IsIgnored("a/.dvc/config", false));
  EXPECT_FALSE(rules.IsIgnored(".dvcignore", false));
  EXPECT_FALSE(rules.IsIgnored("data/x.csv", false));
}

TEST(IgnoreRulesTest, RootFileCommentsNegationAndLastMatchWins) {
  TempDir repo;
  WriteFile(repo / ".dvcignore",
            "# a comment\n"
            "\n"
            "  *.log  \r\n"
            "!keep.log\n"
            "\\#hash\n"
            "/top-only\n"
            "cache/\n");
  IgnoreRules rules = LoadOrDie(repo.path());
  EXPECT_FALSE(rules.OnlyBuiltins());
  EXPECT_TRUE(rules.IsIgnored("x.log", false));
  EXPECT_TRUE(rules.IsIgnored("a/b/x.log", false));
  EXPECT_FALSE(rules.IsIgnored("keep.log", false));
  EXPECT_FALSE(rules.IsIgnored("a/keep.log", false));
  EXPECT_TRUE(rules.IsIgnored("#hash", false));
  EXPECT_FALSE(rules.IsIgnored("# a comment", false));
  EXPECT_TRUE(rules.IsIgnored("top-only", false));
  EXPECT_FALSE(rules.IsIgnored("a/top-only", false));
  EXPECT_TRUE(rules.IsIgnored("a/cache", true));
  EXPECT_FALSE(rules.IsIgnored("a/cache", false));
  // Below an ignored directory everything is ignored.
  EXPECT_TRUE(rules.IsIgnored("a/cache/x.txt", false));
  EXPECT_FALSE(rules.IsIgnoredEntry("a/cache/x.txt", false));
}

TEST(IgnoreRulesTest, CannotReincludeInsideAnIgnoredDirectory) {
  TempDir repo;
  WriteFile(repo / ".dvcignore", "data/\n!data/keep.txt\n");
  IgnoreRules rules = LoadOrDie(repo.path());
  EXPECT_TRUE(rules.IsIgnored("data/keep.txt", false));
}

TEST(IgnoreRulesTest, SubdirectoryFileIsRelativeAndOverridesParent) {
  TempDir repo;
  WriteFile(repo / ".dvcignore", "*.tmp\n");
  WriteFile(repo / "sub" / ".dvcignore", "!special.tmp\n/local\nany\n");
  IgnoreRules rules = LoadOrDie(repo.path());
  ASSERT_TRUE(rules.LoadDirectory("sub").ok());
  EXPECT_TRUE(rules.IsIgnored("x.tmp", false));
  EXPECT_TRUE(rules.IsIgnored("special.tmp", false));
  EXPECT_FALSE(rules.IsIgnored("sub/special.tmp", false));
  EXPECT_FALSE(rules.IsIgnored("sub/deep/special.tmp", false));
  EXPECT_TRUE(rules.IsIgnored("sub/local", false));
  EXPECT_FALSE(rules.IsIgnored("sub/deep/local", false));
  EXPECT_FALSE(rules.IsIgnored("local", false));
  EXPECT_TRUE(rules.IsIgnored("sub/deep/any", false));
  EXPECT_FALSE(rules.IsIgnored("any", false));
  EXPECT_FALSE(rules.IsIgnored("other/any", false));
}

TEST(IgnoreRulesTest, LoadAncestorsReadsEachParentOnce) {
  TempDir repo;
  WriteFile(repo / "a" / "b" / ".dvcignore", "x\n");
  IgnoreRules rules = LoadOrDie(repo.path());
  EXPECT_FALSE(rules.IsIgnored("a/b/c/x", false));
  ASSERT_TRUE(rules.LoadAncestors("a/b/c/x").ok());
  EXPECT_TRUE(rules.IsIgnored("a/b/c/x", false));
  ASSERT_TRUE(rules.LoadAncestors("a/b/c/x").ok());  // idempotent
  EXPECT_TRUE(rules.IsIgnored("a/b/x", false));
}

TEST(IgnoreRulesTest, IgnoredDvcignoreIsNotRead) {
  TempDir repo;
  WriteFile(repo / ".dvcignore", "skip/\n");
  WriteFile(repo / "skip" / ".dvcignore", "!whatever\n");
  IgnoreRules rules = LoadOrDie(repo.path());
  ASSERT_TRUE(rules.LoadDirectory("skip").ok());
  EXPECT_TRUE(rules.IsIgnored("skip/whatever", false));
}

TEST(IgnoreRulesTest, SubRepositoriesAreIgnored) {
  TempDir repo;
  WriteFile(repo / "inner" / ".dvc" / "config", "");
  WriteFile(repo / "plain" / "file", "");
  IgnoreRules rules = LoadOrDie(repo.path());
  EXPECT_TRUE(rules.IsIgnored("inner", true));
  EXPECT_TRUE(rules.IsIgnored("inner/data.csv", false));
  EXPECT_FALSE(rules.IsIgnored("plain", true));
}

TEST(IgnoreRulesTest, BadPatternNamesFileAndLine) {
  TempDir repo;
  WriteFile(repo / ".dvcignore", "ok\nbad\\\n");
  Result<IgnoreRules> rules = IgnoreRules::Load(repo.path());
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.status().code(), Code::kInvalid);
  EXPECT_EQ(rules.status().message(), (repo / ".dvcignore").string() +
                                          ":2: invalid pattern 'bad\\': it ends with an "
                                          "escape (\\)");
}

}  // namespace
}  // namespace conveyor
