#include "common/file_lock.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace conveyor
