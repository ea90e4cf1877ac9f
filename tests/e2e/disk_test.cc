// End-to-end: a full disk and a read-only disk. The project lives on a small
// tmpfs mounted for the test (needs root, as CI runs; skipped otherwise).
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;
using testing::ShellQuote;
using testing::WriteFile;

class DiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_ = dir_ / "mnt";
    fs::create_directories(mount_);
    if (Shell(dir_.path(),
              "mount -t tmpfs -o size=2m tmpfs " + ShellQuote(mount_) + " 2>/dev/null") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    }
    mounted_ = true;
    ASSERT_EQ(RunConveyor(mount_, "init --no-scm").exit_code, 0);
    // The output takes 1.2 MB; its cache copy does not fit in 2 MB as well.
    WriteFile(mount_ / "dvc.yaml",
              "stages:\n  big:\n    cmd: head -c 1200000 /dev/zero > big.bin\n"
              "    outs: [big.bin]\n");
  }
  void TearDown() override {
    if (mounted_)
      Shell(dir_.path(), "umount " + ShellQuote(mount_));
  }
  int Remount(const std::string& options) {
    return Shell(dir_.path(), "mount -o remount," + options + " " + ShellQuote(mount_));
  }
  void ExpectNoTempObjects() {
    if (!fs::exists(mount_ / ".dvc/cache"))
      return;
    for (auto& entry : fs::recursive_directory_iterator(mount_ / ".dvc/cache")) {
      EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
    }
  }

  testing::TempDir dir_;
  fs::path mount_;
  bool mounted_ = false;
};

TEST_F(DiskTest, FullDiskFailsCleanlyAndTheNextRunFinishes) {
  auto full = RunConveyor(mount_, "repro");
  EXPECT_EQ(full.exit_code, 1);
  EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
  // One error line, the last, naming the stage and output.
  size_t error = full.err.find("conveyor: error: stage 'big': output 'big.bin': ");
  EXPECT_NE(error, std::string::npos) << full.err;
  EXPECT_EQ(full.err.find('\n', error), full.err.size() - 1) << full.err;
  EXPECT_FALSE(fs::exists(mount_ / "dvc.lock"));
  ExpectNoTempObjects();

  ASSERT_EQ(Remount("size=8m"), 0);
  auto again = RunConveyor(mount_, "repro");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(ReadFile(mount_ / "dvc.lock").find("size: 1200000"), std::string::npos);
  EXPECT_EQ(RunConveyor(mount_, "status").out, "Data and pipelines are up to date.\n");
}

TEST_F(DiskTest, ReadOnlyDiskStillAnswersStatusAndRefusesToRun) {
  WriteFile(mount_ / "dvc.yaml",
            "stages:\n  small:\n    cmd: echo hi > small.txt\n    outs: [small.txt]\n");
  ASSERT_EQ(RunConveyor(mount_, "repro").exit_code, 0);
  std::string lock = ReadFile(mount_ / "dvc.lock");
  ASSERT_EQ(Remount("ro"), 0);

  auto status = RunConveyor(mount_, "status");
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.out, "Data and pipelines are up to date.\n");

  auto repro = RunConveyor(mount_, "repro -f");
  EXPECT_EQ(repro.exit_code, 1);
  EXPECT_EQ(repro.err.rfind("conveyor: error: ", 0), 0u) << repro.err;
  EXPECT_NE(repro.err.find("Read-only file system"), std::string::npos) << repro.err;
  EXPECT_EQ(ReadFile(mount_ / "dvc.lock"), lock);
}

}  // namespace
}  // namespace conveyor
