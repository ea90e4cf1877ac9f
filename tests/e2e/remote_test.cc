// End-to-end: `conveyor remote add|modify|list|remove|default` on a real
// project, checking the exact text of .dvc/config and .dvc/config.local; and,
// when Debian's `dvc` is installed, that DVC reads what conveyor wrote.
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using testing::ReadFile;
using testing::RunConveyor;
using testing::WriteFile;

class RemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(testing::Shell(dir_.path(), "git init -q ."), 0);
    auto init = RunConveyor(dir_.path(), "init");
    ASSERT_EQ(init.exit_code, 0) << init.err;
    WriteFile(dir_ / ".dvc/config", "");
  }
  testing::CliResult Run(const std::string& args) { return RunConveyor(dir_.path(), args); }
  testing::TempDir dir_;
};

TEST_F(RemoteTest, AddModifyListDefaultRemove) {
  auto add = Run("remote add -d Storage s3://bucket/path");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(add.err, "Setting 'storage' as the default remote.\n");
  ASSERT_EQ(Run("remote modify storage endpointurl http://127.0.0.1:9000").exit_code, 0);
  auto secret = Run("remote modify --local storage secret_access_key s3cr3t");
  ASSERT_EQ(secret.exit_code, 0) << secret.err;
  EXPECT_EQ(secret.err, "");
  ASSERT_EQ(Run("remote add nas sftp://alice@nas:2222/srv/dvc").exit_code, 0);
  std::filesystem::create_directories(dir_ / "sub");
  ASSERT_EQ(RunConveyor(dir_ / "sub", "remote add scratch ../../scratch").exit_code, 0);

  EXPECT_EQ(ReadFile(dir_ / ".dvc/config"),
            "[core]\n"
            "    remote = storage\n"
            "['remote \"storage\"']\n"
            "    url = s3://bucket/path\n"
            "    endpointurl = http://127.0.0.1:9000\n"
            "['remote \"nas\"']\n"
            "    url = ssh://alice@nas:2222/srv/dvc\n"
            "['remote \"scratch\"']\n"
            "    url = ../../scratch\n");
  EXPECT_EQ(ReadFile(dir_ / ".dvc/config.local"),
            "['remote \"storage\"']\n    secret_access_key = s3cr3t\n");

  auto list = Run("remote list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out,
            "storage\ts3://bucket/path\t(default)\nnas\tssh://alice@nas:2222/srv/dvc\n"
            "scratch\t../../scratch\n");
  auto json = Run("remote list --json");
  EXPECT_NE(json.out.find("\"secret_access_key\": \"***\""), std::string::npos) << json.out;
  EXPECT_EQ(json.out.find("s3cr3t"), std::string::npos);

  EXPECT_EQ(Run("remote default").out, "storage\n");
  ASSERT_EQ(Run("remote default --local nas").exit_code, 0);
  EXPECT_EQ(Run("remote default").out, "nas\n");
  ASSERT_EQ(Run("remote modify nas port -u").exit_code, 0);
  ASSERT_EQ(Run("remote remove nas").exit_code, 0);
  // Removing it cleared the local default that named it.
  EXPECT_EQ(ReadFile(dir_ / ".dvc/config.local"),
            "['remote \"storage\"']\n    secret_access_key = s3cr3t\n");
  ASSERT_EQ(Run("remote default -u").exit_code, 0);
  auto none = Run("remote default");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.err, "conveyor: error: no default remote set\n");
}

TEST_F(RemoteTest, KeepsCommentsAndUnknownSections) {
  const std::string original =
      "# team settings\n[core]\n    autostage = true\n[cache]\n    type = hardlink,symlink\n";
  WriteFile(dir_ / ".dvc/config", original);
  ASSERT_EQ(Run("remote add -d s s3://b").exit_code, 0);
  EXPECT_EQ(ReadFile(dir_ / ".dvc/config"),
            "# team settings\n[core]\n    autostage = true\n    remote = s\n[cache]\n"
            "    type = hardlink,symlink\n['remote \"s\"']\n    url = s3://b\n");
  ASSERT_EQ(Run("remote remove s").exit_code, 0);
  EXPECT_EQ(ReadFile(dir_ / ".dvc/config"), original);
}

TEST_F(RemoteTest, ErrorsAreOneClearLine) {
  ASSERT_EQ(Run("remote add s s3://b").exit_code, 0);
  auto again = Run("remote add s s3://c");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err,
            "conveyor: error: remote 's' already exists in .dvc/config; use -f|--force to "
            "overwrite it\n");
  auto option = Run("remote modify s endpoint http://x");
  EXPECT_EQ(option.exit_code, 1);
  EXPECT_NE(option.err.find("conveyor: error: unknown option 'endpoint' for s3 remotes (did "
                            "you mean 'endpointurl'?); known options: access_key_id,"),
            std::string::npos)
      << option.err;
  auto scheme = Run("remote add g gs://bucket");
  EXPECT_EQ(scheme.exit_code, 1);
  EXPECT_NE(scheme.err.find("conveyor cannot store to gs:// remotes"), std::string::npos);
  auto missing = Run("remote modify s region");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err,
            "conveyor: error: remote modify: give a VALUE for 'region', or -u to unset it\n");
  auto warn = Run("remote modify s secret_access_key x");
  EXPECT_EQ(warn.exit_code, 0);
  EXPECT_NE(warn.err.find("is a secret and .dvc/config is committed to Git"), std::string::npos);
  WriteFile(dir_ / ".dvc/config", "[core]\n    remote = s\n\noops\n");
  auto broken = Run("remote list");
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_EQ(broken.err, "conveyor: error: .dvc/config:4: expected 'key = value', found 'oops'\n");
}

// DVC itself reads the files: only when Debian's dvc is installed.
TEST_F(RemoteTest, DvcReadsWhatConveyorWrote) {
  if (testing::Shell(dir_.path(), "command -v dvc >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "dvc is not installed";
  ASSERT_EQ(Run("remote add -d storage s3://bucket/path").exit_code, 0);
  ASSERT_EQ(Run("remote modify storage endpointurl http://127.0.0.1:9000").exit_code, 0);
  ASSERT_EQ(Run("remote add nas /srv/dvc").exit_code, 0);
  ASSERT_EQ(testing::Shell(dir_.path(), "dvc remote list > dvc-list.txt 2>&1"), 0)
      << ReadFile(dir_ / "dvc-list.txt");
  EXPECT_EQ(ReadFile(dir_ / "dvc-list.txt"),
            "storage\ts3://bucket/path\t(default)\nnas\t/srv/dvc\n");
}

}  // namespace
}  // namespace conveyor
