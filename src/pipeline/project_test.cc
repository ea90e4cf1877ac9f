#include "pipeline/project.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;

TEST(ProjectTest, InitWithoutGitNeedsNoScm) {
  testing::TempDir dir;
  auto project = Project::Init(dir.path(), false, false);
  EXPECT_EQ(project.status().code(), Code::kInvalid);
  EXPECT_FALSE(fs::exists(dir / ".dvc"));

  project = Project::Init(dir.path(), true, false);
  ASSERT_TRUE(project.ok()) << project.status().message();
  EXPECT_EQ(testing::ReadFile(dir / ".dvc/.gitignore"), "/config.local\n/tmp\n/cache\n");
  EXPECT_EQ(testing::ReadFile(dir / ".dvc/config"), "[core]\n    no_scm = True\n");
  EXPECT_TRUE(fs::exists(dir / ".dvcignore"));
  EXPECT_EQ(project->cache_dir(), dir.path() / ".dvc/cache");

  EXPECT_EQ(Project::Init(dir.path(), true, false).status().code(), Code::kAlreadyExists);
}

TEST(ProjectTest, DiscoverWalksUpAndMergesLocalConfig) {
  testing::TempDir dir;
  fs::create_directories(dir / ".git");
  ASSERT_TRUE(Project::Init(dir.path(), false, false).ok());
  testing::WriteFile(dir / ".dvc/config", "[cache]\n    type = hardlink, symlink\n");
  testing::WriteFile(dir / ".dvc/config.local", "[cache]\n    dir = /srv/cache\n");
  fs::create_directories(dir / "src/deep");
  auto project = Project::Discover(dir / "src/deep");
  ASSERT_TRUE(project.ok()) << project.status().message();
  EXPECT_EQ(project->root(), fs::canonical(dir.path()));
  EXPECT_EQ(project->config().Get("cache", "type"), "hardlink, symlink");
  EXPECT_EQ(project->cache_dir(), fs::path("/srv/cache"));
  EXPECT_EQ(*project->RelativePath(dir / "src", "../data/./x.csv"), "data/x.csv");
  EXPECT_EQ(project->RelativePath(dir / "src", "../../elsewhere").status().code(), Code::kInvalid);
}

TEST(ProjectTest, DiscoverOutsideAProjectSaysHowToStart) {
  testing::TempDir dir;
  auto project = Project::Discover(dir.path());
  EXPECT_EQ(project.status().code(), Code::kNotFound);
  EXPECT_NE(project.status().message().find("run 'conveyor init'"), std::string::npos);
}

}  // namespace
}  // namespace conveyor
