#include "scm/git_repo.h"

#include <gtest/gtest.h>

#include <map>

#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

// A repository with two commits on main, a tag on the first, and a branch
// "exp" with a third commit. Built with the git command line (test set-up
// only; the code under test reads through libgit2).
class GitRepoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string git = "git -c user.name=t -c user.email=t@t -c init.defaultBranch=main ";
    ASSERT_EQ(testing::Shell(dir_.path(),
                             git +
                                 "init -q . && mkdir -p sub && echo 1 > dvc.lock && echo a > "
                                 "sub/data.dvc && " +
                                 git + "add -A && " + git + "commit -qm one && " + git +
                                 "tag v1 && echo 2 > dvc.lock && " + git + "commit -qam two && " +
                                 git + "checkout -qb exp && echo 3 > dvc.lock && " + git +
                                 "commit -qam three && " + git + "checkout -q main"),
              0);
  }
  testing::TempDir dir_;
};

TEST_F(GitRepoTest, ListsBranchAndTagTipsAndAllCommits) {
  auto repo = GitRepo::Open(dir_.path());
  ASSERT_TRUE(repo.ok()) << repo.status().message();
  auto branches = (*repo)->Revisions({true, false, false});
  ASSERT_TRUE(branches.ok());
  std::vector<std::string> names;
  for (const Revision& r : *branches)
    names.push_back(r.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"refs/heads/exp", "refs/heads/main"}));
  auto tags = (*repo)->Revisions({false, true, false});
  ASSERT_EQ(tags->size(), 1u);
  EXPECT_EQ((*tags)[0].name, "refs/tags/v1");
  auto all = (*repo)->Revisions({false, false, true});
  EXPECT_EQ(all->size(), 3u);
}

TEST_F(GitRepoTest, ReadsFilesOfACommit) {
  auto repo = GitRepo::Open(dir_.path() / "sub");
  ASSERT_TRUE(repo.ok());
  auto tags = (*repo)->Revisions({false, true, false});
  std::map<std::string, std::string> files;
  Status status =
      (*repo)->ForEachFile((*tags)[0].commit, [](std::string_view path) { return path != "sub"; },
                           [&](std::string_view path, std::string_view contents) {
                             files[std::string(path)] = std::string(contents);
                             return OkStatus();
                           });
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(files,
            (std::map<std::string, std::string>{{"dvc.lock", "1\n"}, {"sub/data.dvc", "a\n"}}));
}

// The output of a git command run in `dir` (test set-up only), without the
// trailing newline.
std::string GitOutput(const std::filesystem::path& dir, const std::string& args) {
  const std::filesystem::path out = dir / ".git" / "test-output";
  EXPECT_EQ(testing::Shell(dir, "git " + args + " > .git/test-output"), 0) << args;
  std::string text = testing::ReadFile(out);
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  return text;
}

TEST_F(GitRepoTest, ResolvesWhatRevParseAccepts) {
  auto repo = GitRepo::Open(dir_.path());
  ASSERT_TRUE(repo.ok());
  ASSERT_EQ(testing::Shell(dir_.path(), "git -c user.name=t -c user.email=t@t tag -a v2 -m two"),
            0);
  const std::string head = GitOutput(dir_.path(), "rev-parse HEAD");
  const std::string first = GitOutput(dir_.path(), "rev-parse v1");
  const std::string exp = GitOutput(dir_.path(), "rev-parse exp");
  ASSERT_EQ(head.size(), 40u);
  const std::map<std::string, std::string> cases = {
      {"HEAD", head},         {"main", head},
      {"HEAD~1", first},      {"HEAD^", first},
      {"v1", first},          {"v2", head},
      {"refs/tags/v2", head}, {"exp", exp},
      {head, head},           {head.substr(0, 7), head},
      {"exp~2", first}};
  for (const auto& [spec, want] : cases) {
    auto got = (*repo)->ResolveCommit(spec);
    ASSERT_TRUE(got.ok()) << spec << ": " << got.status().message();
    EXPECT_EQ(*got, want) << spec;
  }
}

TEST_F(GitRepoTest, UnknownAndNonCommitRevisionsAreErrors) {
  auto repo = GitRepo::Open(dir_.path());
  ASSERT_TRUE(repo.ok());
  auto unknown = (*repo)->ResolveCommit("nope");
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
  EXPECT_EQ(unknown.status().message(),
            "unknown revision 'nope': no branch, tag or commit has that name");
  EXPECT_EQ((*repo)->ResolveCommit("HEAD~5").status().code(), Code::kNotFound);
  EXPECT_EQ((*repo)->ResolveCommit("").status().code(), Code::kNotFound);
  auto blob = (*repo)->ResolveCommit("HEAD:dvc.lock");
  EXPECT_EQ(blob.status().code(), Code::kInvalid);
  EXPECT_EQ(blob.status().message(), "revision 'HEAD:dvc.lock' names a blob, not a commit");
}

TEST(GitRepoAmbiguityTest, AnAbbreviationMatchingTwoObjectsIsAmbiguous) {
  testing::TempDir dir;
  // The blobs "195\n" and "389\n" are 6bb2f98f... and 6bb2f4ee...
  ASSERT_EQ(testing::Shell(dir.path(),
                           "git init -q . && echo 195 > a && echo 389 > b && "
                           "git hash-object -w a b > /dev/null"),
            0);
  auto repo = GitRepo::Open(dir.path());
  ASSERT_TRUE(repo.ok());
  auto ambiguous = (*repo)->ResolveCommit("6bb2f");
  EXPECT_EQ(ambiguous.status().code(), Code::kInvalid);
  EXPECT_EQ(ambiguous.status().message().rfind("revision '6bb2f' is ambiguous", 0), 0u)
      << ambiguous.status().message();
  auto blob = (*repo)->ResolveCommit("6bb2f9");
  EXPECT_EQ(blob.status().message(), "revision '6bb2f9' names a blob, not a commit");
}

TEST_F(GitRepoTest, ShortIdIsWhatGitPrints) {
  auto repo = GitRepo::Open(dir_.path());
  ASSERT_TRUE(repo.ok());
  auto head = (*repo)->ResolveCommit("HEAD");
  ASSERT_TRUE(head.ok());
  auto short_id = (*repo)->ShortId(*head);
  ASSERT_TRUE(short_id.ok()) << short_id.status().message();
  EXPECT_EQ(*short_id, GitOutput(dir_.path(), "rev-parse --short HEAD"));
  EXPECT_EQ((*repo)->ShortId("HEAD").status().code(), Code::kInvalid);
}

TEST_F(GitRepoTest, ReadsOneFileOfACommit) {
  auto repo = GitRepo::Open(dir_.path());
  ASSERT_TRUE(repo.ok());
  auto first = (*repo)->ResolveCommit("v1");
  auto head = (*repo)->ResolveCommit("HEAD");
  ASSERT_TRUE(first.ok() && head.ok());
  auto lock = (*repo)->ReadFile(*first, "dvc.lock");
  ASSERT_TRUE(lock.ok()) << lock.status().message();
  EXPECT_EQ(*lock, std::optional<std::string>("1\n"));
  EXPECT_EQ(*(*repo)->ReadFile(*head, "dvc.lock"), std::optional<std::string>("2\n"));
  EXPECT_EQ(*(*repo)->ReadFile(*head, "sub/data.dvc"), std::optional<std::string>("a\n"));
  EXPECT_EQ(*(*repo)->ReadFile(*head, "missing.txt"), std::nullopt);
  EXPECT_EQ(*(*repo)->ReadFile(*head, "sub/missing/x"), std::nullopt);
  EXPECT_EQ(*(*repo)->ReadFile(*head, "sub"), std::nullopt);  // a directory is no file
  EXPECT_EQ((*repo)->ReadFile("HEAD", "dvc.lock").status().code(), Code::kInvalid);
}

TEST_F(GitRepoTest, HeadOnABranchAndDetached) {
  auto repo = GitRepo::Open(dir_.path());
  ASSERT_TRUE(repo.ok());
  auto head = (*repo)->Head();
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(head->commit, GitOutput(dir_.path(), "rev-parse HEAD"));
  EXPECT_EQ(head->branch, "main");
  EXPECT_EQ(head->author, "t <t@t>");
  EXPECT_EQ(head->summary, "two");
  EXPECT_EQ(std::to_string(head->time), GitOutput(dir_.path(), "log -1 --format=%ct"));

  ASSERT_EQ(testing::Shell(dir_.path(), "git checkout -q --detach v1"), 0);
  auto detached = (*repo)->Head();
  ASSERT_TRUE(detached.ok()) << detached.status().message();
  EXPECT_EQ(detached->branch, "");
  EXPECT_EQ(detached->commit, GitOutput(dir_.path(), "rev-parse v1"));
  EXPECT_EQ(detached->summary, "one");
}

TEST(GitRepoHeadTest, NoCommitYet) {
  testing::TempDir dir;
  ASSERT_EQ(testing::Shell(dir.path(), "git init -q ."), 0);
  auto repo = GitRepo::Open(dir.path());
  ASSERT_TRUE(repo.ok());
  EXPECT_EQ((*repo)->Head().status().code(), Code::kNotFound);
}

TEST_F(GitRepoTest, DirtyWhenTrackedFilesChangeOrUntrackedFilesAppear) {
  auto repo = GitRepo::Open(dir_.path());
  ASSERT_TRUE(repo.ok());
  auto dirty = [&](std::string_view subdir = {}) {
    auto result = (*repo)->IsDirty(subdir);
    EXPECT_TRUE(result.ok()) << result.status().message();
    return result.ok() && *result;
  };
  EXPECT_FALSE(dirty());

  testing::WriteFile(dir_ / "dvc.lock", "changed\n");  // modified in the work tree
  EXPECT_TRUE(dirty());
  EXPECT_FALSE(dirty("sub"));
  ASSERT_EQ(testing::Shell(dir_.path(), "git add dvc.lock"), 0);  // staged only
  EXPECT_TRUE(dirty());
  ASSERT_EQ(testing::Shell(dir_.path(), "git reset -q --hard"), 0);
  EXPECT_FALSE(dirty());

  testing::WriteFile(dir_ / "sub/new.txt", "new\n");  // untracked
  EXPECT_TRUE(dirty());
  EXPECT_TRUE(dirty("sub"));
  EXPECT_TRUE(dirty("sub/"));
  EXPECT_FALSE(dirty("other"));
  std::filesystem::remove(dir_ / "sub/new.txt");
  EXPECT_FALSE(dirty());

  testing::WriteFile(dir_ / "fresh/deep/f.txt", "x\n");  // inside an untracked directory
  EXPECT_TRUE(dirty("fresh/deep"));
  EXPECT_FALSE(dirty("fresh/other"));
  std::filesystem::remove_all(dir_ / "fresh");

  testing::WriteFile(dir_ / ".git/info/exclude", "*.log\n");
  testing::WriteFile(dir_ / "sub/run.log", "ignored\n");
  EXPECT_FALSE(dirty());
  EXPECT_FALSE(dirty("sub"));
}

TEST(GitRepoOpenTest, NotARepository) {
  testing::TempDir dir;
  EXPECT_EQ(GitRepo::Open(dir.path()).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace conveyor
