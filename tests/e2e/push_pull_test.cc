// End-to-end: push, fetch, pull and `status --cloud` against a local-folder
// remote — DVC 3 layout at the remote, workspace restored after the cache is
// deleted, corrupt remote objects refused, second push moving nothing, an
// interrupted push finished by a rerun, `status --cloud` naming paths, and
// a remote shared with DVC (dvc_remote_reference.py) in both directions.
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
  // data/a.txt, data/sub/b.txt, the listing, n.txt; then the record of the
  // fixture's repro (registry_transfer.h).
  EXPECT_EQ(push.out,
            "4 files pushed (144 B), 0 already on the remote\n"
            "Registry: 1 experiment pushed, 0 already on the remote\n");
  EXPECT_TRUE(fs::exists(RemoteObject(kDataDir)));
  EXPECT_TRUE(fs::exists(RemoteObject(kA)));

  auto again = Run("push --json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("\"pushed\": 0"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("\"already_present\": 4"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("\"experiments_already_present\": 1"), std::string::npos) << again.out;

  auto synced = Run("status --cloud");
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_NE(synced.out.find("are in sync (4 objects)"), std::string::npos) << synced.out;

  fs::remove_all(project_ / ".dvc/cache");
  fs::remove_all(project_ / "data");
  fs::remove(project_ / "n.txt");
  auto cloud = Run("status --cloud");
  ASSERT_EQ(cloud.exit_code, 0) << cloud.err;
  EXPECT_EQ(cloud.out,
            "Compared with ../../store:\n"
            "\tdeleted:    data/\n"
            "\tdeleted:    n.txt\n"
            "0 to push, 2 to fetch, 0 missing, 0 in sync\n");

  auto pull = Run("pull");
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(pull.out, "4 files fetched (144 B), 0 already in the cache\n");
  EXPECT_EQ(ReadFile(project_ / "data/a.txt"), "a\nb\n");
  EXPECT_EQ(ReadFile(project_ / "data/sub/b.txt"), "A\nB\n");
  EXPECT_EQ(ReadFile(project_ / "n.txt"), "4\n");
}

// DVC's side of a shared remote, from tests/e2e/dvc_remote_reference.py
// (DVC's layout and listing format, written without conveyor's code; there
// is no dvc in Debian 12 to run).
std::string DvcReference(const std::string& args) {
  return "/usr/bin/python3 " +
         testing::ShellQuote(std::string(CONVEYOR_SOURCE_DIR) +
                             "/tests/e2e/dvc_remote_reference.py") +
         " " + args;
}

// A remote filled the way DVC pushes, with the .dvc file DVC writes, pulls
// into a project that has never seen the data.
TEST_F(PushPullTest, PullsARemoteFilledTheWayDvcFillsIt) {
  WriteFile(dir_ / "theirs/images/cat.txt", "meow\n");
  WriteFile(dir_ / "theirs/images/dogs/rex.txt", "woof\n");
  WriteFile(dir_ / "theirs/images/dogs/fido.txt", "");
  // Where DVC's order and escaping could differ from a naive one: "a-b/x"
  // sorts before "a/b" ('-' < '/'), and "\u00e9" is how the JSON spells é.
  WriteFile(dir_ / "theirs/images/a-b/x.txt", "x\n");
  WriteFile(dir_ / "theirs/images/a/b.txt", "b\n");
  WriteFile(dir_ / "theirs/images/\xc3\xa9.txt", "e\n");
  ASSERT_EQ(testing::Shell(dir_.path(),
                           DvcReference("fill dvcstore theirs/images") + " > theirs/images.dvc"),
            0);
  fs::path fresh = dir_ / "fresh";
  fs::create_directories(fresh);
  ASSERT_EQ(testing::Shell(fresh, "git init -q ."), 0);
  ASSERT_EQ(RunConveyor(fresh, "init").exit_code, 0);
  ASSERT_EQ(RunConveyor(fresh, "remote add -d theirs ../dvcstore").exit_code, 0);
  fs::copy_file(dir_ / "theirs/images.dvc", fresh / "images.dvc");

  auto pull = RunConveyor(fresh, "pull");
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  // Six files (16 B) and the 418-byte listing of six entries.
  EXPECT_EQ(pull.out, "7 files fetched (434 B), 0 already in the cache\n") << pull.out;
  EXPECT_EQ(ReadFile(fresh / "images/cat.txt"), "meow\n");
  EXPECT_EQ(ReadFile(fresh / "images/dogs/rex.txt"), "woof\n");
  EXPECT_EQ(ReadFile(fresh / "images/dogs/fido.txt"), "");
  EXPECT_EQ(ReadFile(fresh / "images/a-b/x.txt"), "x\n");
  EXPECT_EQ(ReadFile(fresh / "images/a/b.txt"), "b\n");
  EXPECT_EQ(ReadFile(fresh / "images/\xc3\xa9.txt"), "e\n");
  auto status = RunConveyor(fresh, "status");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.out, "Data and pipelines are up to date.\n");
  // conveyor's own record of the same directory is DVC's, byte for byte.
  fs::remove(fresh / "images.dvc");
  ASSERT_EQ(RunConveyor(fresh, "add images").exit_code, 0);
  EXPECT_EQ(ReadFile(fresh / "images.dvc"), ReadFile(dir_ / "theirs/images.dvc"));
}

// The reverse: what conveyor pushes is, object for object and byte for
// byte, what DVC's push of the same directory writes.
TEST_F(PushPullTest, PushesWhatDvcWouldPush) {
  ASSERT_EQ(Run("remote add -d store ../store").exit_code, 0);
  auto push = Run("push data.dvc");
  ASSERT_EQ(push.exit_code, 0) << push.err;
  const std::string check = DvcReference("check store project/data") + " > check.txt 2>&1";
  EXPECT_EQ(testing::Shell(dir_.path(), check), 0) << ReadFile(dir_ / "check.txt");
  EXPECT_TRUE(fs::exists(RemoteObject(kDataDir)));
  // The check can fail: one byte changed in a pushed file is caught.
  fs::permissions(RemoteObject(kA), fs::perms::owner_write, fs::perm_options::add);
  WriteFile(RemoteObject(kA), "a\nB\n");
  EXPECT_EQ(testing::Shell(dir_.path(), check), 1);
  const std::string found = ReadFile(dir_ / "check.txt");
  EXPECT_NE(found.find("dd/8c6a395b5dd36c56d23275028f526c: holds b'a\\nB\\n'"), std::string::npos)
      << found;
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

TEST_F(PushPullTest, StatusCloudNamesOutputsByPath) {
  ASSERT_EQ(Run("remote add -d store ../store").exit_code, 0);
  ASSERT_EQ(Run("push count").exit_code, 0);
  auto status = Run("status --cloud");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.out,
            "Compared with ../../store:\n"
            "\tnew:        data/\n"
            "1 to push, 0 to fetch, 0 missing, 1 in sync\n");

  // One file of the directory on the remote: the rest are counted.
  ASSERT_EQ(Run("push").exit_code, 0);
  fs::remove(RemoteObject(kA));
  auto partial = Run("status --cloud");
  EXPECT_NE(partial.out.find("\tnew:        data/ (1 of 2 files not on the remote)\n"),
            std::string::npos)
      << partial.out;

  auto json = Run("status --cloud --json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find(std::string("\"path\": \"data/\",\n      \"md5\": \"") + kDataDir +
                          "\",\n      \"status\": \"new\""),
            std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"path\": \"n.txt\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"status\": \"in sync\""), std::string::npos) << json.out;
}

TEST_F(PushPullTest, InterruptedPushRerunMovesOnlyTheRest) {
  ASSERT_EQ(Run("remote add -d store ../store").exit_code, 0);
  // A file where data/a.txt's directory must go: that upload fails, and the
  // listing that names it is held back; the others go.
  WriteFile(dir_ / "store/files/md5/dd", "in the way");
  auto push = Run("push -j 1");
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_NE(push.err.find("conveyor: error: 2 of 4 objects failed to push to ../../store: "),
            std::string::npos)
      << push.err;
  EXPECT_NE(
      push.err.find(std::string(kDataDir) + ": not pushed because 1 of its files could not be"),
      std::string::npos)
      << push.err;
  EXPECT_FALSE(fs::exists(RemoteObject(kDataDir)));
  EXPECT_TRUE(fs::exists(dir_ / "store/files/md5/48"));  // n.txt's went
  // Records wait until every object they could name is there.
  EXPECT_FALSE(fs::exists(dir_ / "store/conveyor"));

  fs::remove(dir_ / "store/files/md5/dd");
  auto rerun = Run("push");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(rerun.out,
            "2 files pushed (138 B), 2 already on the remote\n"
            "Registry: 1 experiment pushed, 0 already on the remote\n");
}

TEST_F(PushPullTest, CorruptRemoteObjectIsRefused) {
  ASSERT_EQ(Run("remote add -d store ../store").exit_code, 0);
  ASSERT_EQ(Run("push").exit_code, 0);
  fs::permissions(RemoteObject(kA), fs::perms::owner_write, fs::perm_options::add);
  WriteFile(RemoteObject(kA), "tampered\n");
  fs::remove_all(project_ / ".dvc/cache");
  fs::remove_all(project_ / "data");
  fs::remove(project_ / "n.txt");

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
  // The cache holds no object under a wrong name, nor temporary files.
  for (const auto& entry : fs::recursive_directory_iterator(project_ / ".dvc/cache")) {
    if (entry.is_regular_file()) {
      EXPECT_NE(entry.path().filename().string().front(), '.') << entry.path();
    }
  }
  // Checkout links what arrived and nothing bad: data/a.txt, whose object
  // was refused, is not there with the tampered content.
  auto checkout = Run("checkout");
  EXPECT_EQ(ReadFile(project_ / "n.txt"), "4\n") << checkout.err;
  EXPECT_NE(ReadFile(project_ / "data/a.txt"), "tampered\n");
}

}  // namespace
}  // namespace conveyor
