// End-to-end: push, fetch, pull and `status --cloud` against a local-folder
// remote — DVC 3 layout at the remote, workspace restored after the cache is
// deleted, corrupt remote objects refused, second push moving nothing.
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::WriteFile;

// md5 of "a\nb\n", "A\nB\n" and "4\n"; the directory hash as DvcTest has it.
constexpr char kDataDir[] = "06994a2c53097535d9255b59d88d9ffe.dir";
constexpr char kA[] = "dd8c6a395b5dd36c56d23275028f526c";

class PushPullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    project_ = dir_ / "project";
    fs::create_directories(project_);
    ASSERT_EQ(testing::Shell(project_, "git init -q ."), 0);
    ASSERT_EQ(Run("init").exit_code, 0);
    WriteFile(project_ / "data/a.txt", "a\nb\n");
    WriteFile(project_ / "data/sub/b.txt", "A\nB\n");
    auto add = Run("add data");
    ASSERT_EQ(add.exit_code, 0) << add.err;
    WriteFile(project_ / "dvc.yaml",
              "stages:\n  count:\n    cmd: cat data/a.txt data/sub/b.txt | wc -l > n.txt\n"
              "    deps: [data]\n    outs: [n.txt]\n");
    auto repro = Run("repro");
    ASSERT_EQ(repro.exit_code, 0) << repro.err;
  }
  testing::CliResult Run(const std::string& args) { return RunConveyor(project_, args); }
  fs::path RemoteObject(const std::string& md5) {
    return dir_ / "store/files/md5" / md5.substr(0, 2) / md5.substr(2);
  }

  testing::TempDir dir_;
  fs::path project_;
};

TEST_F(PushPullTest, NoRemoteSaysHowToAddOne) {
  auto push = Run("push");
  EXPECT_EQ(push.exit_code, 2);
  EXPECT_NE(push.err.find("conveyor remote add -d NAME URL"), std::string::npos) << push.err;
}

TEST_F(PushPullTest, PushDeleteCachePullRestores) {
  ASSERT_EQ(Run("remote add -d store ../store").exit_code, 0);
  auto push = Run("push");
  ASSERT_EQ(push.exit_code, 0) << push.err;
  // data/a.txt, data/sub/b.txt, the listing, n.txt.
  EXPECT_EQ(push.out, "4 files pushed (144 B), 0 already on the remote\n");
  EXPECT_TRUE(fs::exists(RemoteObject(kDataDir)));
  EXPECT_TRUE(fs::exists(RemoteObject(kA)));

  auto again = Run("push --json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("\"pushed\": 0"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("\"already_present\": 4"), std::string::npos) << again.out;

  auto synced = Run("status --cloud");
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_NE(synced.out.find("are in sync (4 objects)"), std::string::npos) << synced.out;

  fs::remove_all(project_ / ".dvc/cache");
  fs::remove_all(project_ / "data");
  fs::remove(project_ / "n.txt");
  auto cloud = Run("status --cloud");
  ASSERT_EQ(cloud.exit_code, 0) << cloud.err;
  EXPECT_NE(cloud.out.find("0 to push, 2 to fetch"), std::string::npos) << cloud.out;

  auto pull = Run("pull");
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(pull.out, "4 files fetched (144 B), 0 already in the cache\n");
  EXPECT_EQ(ReadFile(project_ / "data/a.txt"), "a\nb\n");
  EXPECT_EQ(ReadFile(project_ / "data/sub/b.txt"), "A\nB\n");
  EXPECT_EQ(ReadFile(project_ / "n.txt"), "4\n");
}

TEST_F(PushPullTest, PushTargetsOnlyWhatTheyName) {
  ASSERT_EQ(Run("remote add -d store ../store").exit_code, 0);
  auto push = Run("push count");
  ASSERT_EQ(push.exit_code, 0) << push.err;
  EXPECT_EQ(push.out, "1 file pushed (2 B), 0 already on the remote\n");
  EXPECT_FALSE(fs::exists(RemoteObject(kDataDir)));
  auto unknown = Run("push nothing-here");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("'nothing-here' is not a stage"), std::string::npos) << unknown.err;
}

TEST_F(PushPullTest, CorruptRemoteObjectIsRefused) {
  ASSERT_EQ(Run("remote add -d store ../store").exit_code, 0);
  ASSERT_EQ(Run("push").exit_code, 0);
  fs::permissions(RemoteObject(kA), fs::perms::owner_write, fs::perm_options::add);
  WriteFile(RemoteObject(kA), "tampered\n");
  fs::remove_all(project_ / ".dvc/cache");

  auto pull = Run("pull");
  EXPECT_EQ(pull.exit_code, 1);
  EXPECT_NE(pull.err.find(std::string("files/md5/dd/8c6a395b5dd36c56d23275028f526c: content "
                                      "hashes to ")),
            std::string::npos)
      << pull.err;
  EXPECT_NE(pull.err.find(std::string("expected ") + kA), std::string::npos) << pull.err;
  EXPECT_FALSE(fs::exists(project_ / ".dvc/cache/files/md5/dd/8c6a395b5dd36c56d23275028f526c"));
  // The other objects arrived.
  EXPECT_TRUE(fs::exists(project_ / ".dvc/cache/files/md5/06/994a2c53097535d9255b59d88d9ffe.dir"));
}

}  // namespace
}  // namespace conveyor
