#include "common/file_lock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

TEST(FileLockTest, SecondHolderIsRefusedUntilTheFirstLetsGo) {
  testing::TempDir dir;
  auto first = FileLock::Acquire(dir / "tmp/lock");
  ASSERT_TRUE(first.ok()) << first.status().message();
  // flock locks belong to open file descriptions, so a second open in the
  // same process conflicts just as another process would.
  auto second = FileLock::Acquire(dir / "tmp/lock");
  EXPECT_EQ(second.status().code(), Code::kFailed);
  EXPECT_NE(second.status().message().find("another conveyor or dvc process"), std::string::npos);
  first->reset();
  EXPECT_TRUE(FileLock::Acquire(dir / "tmp/lock").ok());
}

TEST(FileLockTest, WaitingAcquireGetsTheLockOnceItIsFreed) {
  using std::chrono::milliseconds;
  testing::TempDir dir;
  auto first = FileLock::Acquire(dir / "lock");
  ASSERT_TRUE(first.ok());
  // Held throughout: the wait ends in the same refusal.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(FileLock::Acquire(dir / "lock", milliseconds(100)).status().code(), Code::kFailed);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(100));
  // Freed while waiting: acquired.
  std::thread release([&] {
    std::this_thread::sleep_for(milliseconds(50));
    first->reset();
  });
  auto second = FileLock::Acquire(dir / "lock", milliseconds(5000));
  release.join();
  EXPECT_TRUE(second.ok()) << second.status().message();
}

}  // namespace
}  // namespace conveyor
