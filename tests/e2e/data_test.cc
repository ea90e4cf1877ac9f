// End-to-end: `conveyor hash`, `add`, `checkout` and `gc` on real projects.
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

class DataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(testing::Shell(dir_.path(), "git init -q ."), 0);
    auto init = RunConveyor(dir_.path(), "init");
    ASSERT_EQ(init.exit_code, 0) << init.err;
    WriteFile(dir_ / "data/a.txt", "a\nb\n");
    WriteFile(dir_ / "data/sub/b.txt", "A\nB\n");
  }
  testing::TempDir dir_;
};

// Directory hash computed with Python: md5(json.dumps(sorted entries,
// sort_keys=True)) + ".dir", as dvc-data's Tree.as_bytes does.
constexpr char kDataDirHash[] = "06994a2c53097535d9255b59d88d9ffe.dir";

TEST_F(DataTest, HashPrintsWhatDvcWouldRecord) {
  auto result = RunConveyor(dir_.path(), "hash data data/a.txt");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, std::string(kDataDirHash) +
                            "  8  2  data\n"
                            "dd8c6a395b5dd36c56d23275028f526c  4  -  data/a.txt\n");
  WriteFile(dir_ / "data/café.txt", "A\nB\n");
  auto unicode = RunConveyor(dir_.path(), "hash --json data");
  EXPECT_EQ(unicode.out,
            "[\n  {\n    \"path\": \"data\",\n    \"md5\": "
            "\"b890c3580ff7830f0085309fb962daec.dir\",\n    \"size\": 12,\n    \"nfiles\": 3\n"
            "  }\n]\n");
}

TEST_F(DataTest, AddWritesDvcFileGitignoreAndCache) {
  auto result = RunConveyor(dir_.path(), "add data");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(ReadFile(dir_ / "data.dvc"), std::string("outs:\n- md5: ") + kDataDirHash +
                                             "\n  size: 8\n  nfiles: 2\n  hash: md5\n  path: "
                                             "data\n");
  EXPECT_EQ(ReadFile(dir_ / ".gitignore"), "/data\n");
  EXPECT_TRUE(fs::exists(dir_ / ".dvc/cache/files/md5/06/994a2c53097535d9255b59d88d9ffe.dir"));
  EXPECT_TRUE(fs::exists(dir_ / ".dvc/cache/files/md5/dd/8c6a395b5dd36c56d23275028f526c"));
  EXPECT_NE(result.err.find("git add data.dvc .gitignore"), std::string::npos) << result.err;

  // Adding again changes nothing and does not duplicate the ignore entry.
  auto again = RunConveyor(dir_.path(), "add data");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReadFile(dir_ / ".gitignore"), "/data\n");
  EXPECT_NE(again.out.find("Unchanged 'data'"), std::string::npos) << again.out;
}

TEST_F(DataTest, AddedDataFeedsAStage) {
  ASSERT_EQ(RunConveyor(dir_.path(), "add data").exit_code, 0);
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n  count:\n    cmd: cat data/a.txt data/sub/b.txt | wc -l > n.txt\n"
            "    deps: [data]\n    outs: [n.txt]\n");
  auto repro = RunConveyor(dir_.path(), "repro");
  ASSERT_EQ(repro.exit_code, 0) << repro.err;
  EXPECT_EQ(ReadFile(dir_ / "n.txt"), "4\n");
  // Cached outputs are kept out of Git, as DVC does.
  EXPECT_EQ(ReadFile(dir_ / ".gitignore"), "/data\n/n.txt\n");
  auto refused = RunConveyor(dir_.path(), "add n.txt");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err,
            "conveyor: error: cannot add 'n.txt': it is an output of stage 'count', already "
            "tracked in dvc.lock\n");
}

TEST_F(DataTest, CheckoutRestoresDeletedAndModifiedData) {
  ASSERT_EQ(RunConveyor(dir_.path(), "add data").exit_code, 0);
  fs::remove_all(dir_ / "data");
  auto restored = RunConveyor(dir_.path(), "checkout");
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(restored.out, "A\tdata\n");
  EXPECT_EQ(ReadFile(dir_ / "data/sub/b.txt"), "A\nB\n");

  // An edit that is not in the cache is not thrown away without --force.
  fs::permissions(dir_ / "data/a.txt", fs::perms::owner_write, fs::perm_options::add);
  WriteFile(dir_ / "data/a.txt", "edited\n");
  auto refused = RunConveyor(dir_.path(), "checkout");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("'data' has changes that are not in the cache"), std::string::npos)
      << refused.err;
  EXPECT_EQ(ReadFile(dir_ / "data/a.txt"), "edited\n");
  auto forced = RunConveyor(dir_.path(), "checkout --force");
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(forced.out, "M\tdata\n");
  EXPECT_EQ(ReadFile(dir_ / "data/a.txt"), "a\nb\n");
}

// What a checkout or pull killed half-way leaves (some files placed, one
// partial under a temporary name) holds nothing the cache lacks: a rerun
// finishes it without --force (crash_consistency_test.cc found this).
TEST_F(DataTest, CheckoutFinishesAnInterruptedCheckout) {
  ASSERT_EQ(RunConveyor(dir_.path(), "add data").exit_code, 0);
  fs::remove_all(dir_ / "data/sub");
  WriteFile(dir_ / "data/sub/.b.txt.tmp.4242.7", "A\n");
  auto finished = RunConveyor(dir_.path(), "checkout");
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  EXPECT_EQ(finished.out, "M\tdata\n");
  EXPECT_EQ(ReadFile(dir_ / "data/sub/b.txt"), "A\nB\n");
  EXPECT_FALSE(fs::exists(dir_ / "data/sub/.b.txt.tmp.4242.7"));
  EXPECT_EQ(RunConveyor(dir_.path(), "status").out, "Data and pipelines are up to date.\n");
}

TEST_F(DataTest, StatusReportsChangedTrackedData) {
  WriteFile(dir_ / "n.txt", "n\n");
  ASSERT_EQ(RunConveyor(dir_.path(), "add data n.txt").exit_code, 0);
  EXPECT_EQ(RunConveyor(dir_.path(), "status").out, "Data and pipelines are up to date.\n");

  fs::remove_all(dir_ / "data");
  fs::permissions(dir_ / "n.txt", fs::perms::owner_write, fs::perm_options::add);
  WriteFile(dir_ / "n.txt", "edited\n");
  auto changed = RunConveyor(dir_.path(), "status");
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(changed.out,
            "data.dvc:\n\tchanged outs:\n\t\tdeleted:            data\n"
            "n.txt.dvc:\n\tchanged outs:\n\t\tmodified:           n.txt\n");
  // A .dvc file as the target: only its data.
  auto one = RunConveyor(dir_.path(), "status n.txt.dvc --json");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out.find("data.dvc"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("\"modified\""), std::string::npos) << one.out;

  // Restored, but the cache lost the object.
  ASSERT_EQ(RunConveyor(dir_.path(), "checkout --force").exit_code, 0);
  fs::remove_all(dir_ / ".dvc/cache");
  auto uncached = RunConveyor(dir_.path(), "status n.txt.dvc");
  EXPECT_NE(uncached.out.find("not in cache:       n.txt"), std::string::npos) << uncached.out;
}

TEST_F(DataTest, GcKeepsWhatIsUsedAndRemovesTheRest) {
  ASSERT_EQ(RunConveyor(dir_.path(), "add data").exit_code, 0);
  ASSERT_EQ(testing::Shell(dir_.path(),
                           "git -c user.name=t -c user.email=t@t add -A && "
                           "git -c user.name=t -c user.email=t@t commit -qm v1 && git tag v1"),
            0);
  // A second version of the data replaces the first in the workspace.
  fs::permissions(dir_ / "data/a.txt", fs::perms::owner_write, fs::perm_options::add);
  WriteFile(dir_ / "data/a.txt", "new\n");
  ASSERT_EQ(RunConveyor(dir_.path(), "add data").exit_code, 0);

  EXPECT_EQ(RunConveyor(dir_.path(), "gc").exit_code, 2);  // no scope given
  auto unconfirmed = RunConveyor(dir_.path(), "gc -w");
  EXPECT_EQ(unconfirmed.exit_code, 2);
  EXPECT_NE(unconfirmed.err.find("pass -f"), std::string::npos);

  // Keeping the tag keeps v1's objects.
  auto with_tags = RunConveyor(dir_.path(), "gc -w -T -f");
  ASSERT_EQ(with_tags.exit_code, 0) << with_tags.err;
  EXPECT_EQ(with_tags.out.rfind("Removed 0 objects", 0), 0u) << with_tags.out;

  auto workspace_only = RunConveyor(dir_.path(), "gc -w -f");
  ASSERT_EQ(workspace_only.exit_code, 0) << workspace_only.err;
  // v1's .dir object and its a.txt ("a\nb\n") are gone; b.txt is still used.
  EXPECT_EQ(workspace_only.out.rfind("Removed 2 objects", 0), 0u) << workspace_only.out;
  EXPECT_FALSE(fs::exists(dir_ / ".dvc/cache/files/md5/dd/8c6a395b5dd36c56d23275028f526c"));
  EXPECT_TRUE(fs::exists(dir_ / ".dvc/cache/files/md5/d0/9f55e3d6d2265b7507cc6027071d0a"));
  fs::remove_all(dir_ / "data");
  auto checkout = RunConveyor(dir_.path(), "checkout");
  ASSERT_EQ(checkout.exit_code, 0) << checkout.err;
  EXPECT_EQ(ReadFile(dir_ / "data/a.txt"), "new\n");
}

}  // namespace
}  // namespace conveyor
