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

TEST(GitRepoOpenTest, NotARepository) {
  testing::TempDir dir;
  EXPECT_EQ(GitRepo::Open(dir.path()).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace conveyor
