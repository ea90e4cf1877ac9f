#include "common/file_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;

TEST(AtomicWriteFileTest, ReplacesRegularFilesWithTheGivenMode) {
  testing::TempDir dir;
  ASSERT_TRUE(AtomicWriteFile(dir / "a.txt", "one").ok());
  ASSERT_TRUE(AtomicWriteFile(dir / "a.txt", "two", fs::perms::owner_read).ok());
  EXPECT_EQ(testing::ReadFile(dir / "a.txt"), "two");
  EXPECT_EQ(fs::status(dir / "a.txt").permissions() & fs::perms::all, fs::perms::owner_read);
  // Nothing temporary is left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(AtomicWriteFileTest, RefusesToReplaceWhatIsNotARegularFile) {
  testing::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  fs::create_directories(dir / "folder");
  for (const char* name : {"fifo", "folder"}) {
    Status status = AtomicWriteFile(dir / name, "x");
    EXPECT_EQ(status.code(), Code::kInvalid) << name;
    EXPECT_EQ(status.message(), fmt::format("cannot write {}: it exists and is not a regular file",
                                            (dir / name).string()));
  }
  EXPECT_TRUE(fs::is_fifo(dir / "fifo"));
}

size_t EntriesIn(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(StagedFileTest, NothingChangesUntilCommitAndAnUncommittedStageIsRemoved) {
  testing::TempDir dir;
  ASSERT_TRUE(AtomicWriteFile(dir / "train", "old train").ok());
  ASSERT_TRUE(AtomicWriteFile(dir / "holdout", "old holdout").ok());
  {
    auto train = StagedFile::Write(dir / "train", "new train");
    ASSERT_TRUE(train.ok()) << train.status().message();
    // The second file cannot be written: the first is dropped, not committed.
    auto blocked = StagedFile::Write(dir / "missing-dir" / "holdout", "new holdout");
    EXPECT_EQ(blocked.status().code(), Code::kIo);
    EXPECT_EQ(testing::ReadFile(dir / "train"), "old train");
    EXPECT_EQ(EntriesIn(dir.path()), 3u);  // the two files and the stage
  }
  EXPECT_EQ(EntriesIn(dir.path()), 2u);
  EXPECT_EQ(testing::ReadFile(dir / "train"), "old train");

  auto train = StagedFile::Write(dir / "train", "new train");
  auto holdout = StagedFile::Write(dir / "holdout", "new holdout", fs::perms::owner_read);
  ASSERT_TRUE(train.ok() && holdout.ok());
  ASSERT_TRUE(train->Commit().ok());
  ASSERT_TRUE(holdout->Commit().ok());
  EXPECT_EQ(holdout->Commit().code(), Code::kInternal);
  EXPECT_EQ(testing::ReadFile(dir / "train"), "new train");
  EXPECT_EQ(testing::ReadFile(dir / "holdout"), "new holdout");
  EXPECT_EQ(fs::status(dir / "holdout").permissions() & fs::perms::all, fs::perms::owner_read);
  EXPECT_EQ(EntriesIn(dir.path()), 2u);
}

TEST(IsTempNameTest, RecognisesWhatTempPathBesideMakes) {
  EXPECT_TRUE(IsTempName(TempPathBeside("/a/f1.txt").filename().string()));
  EXPECT_TRUE(IsTempName(".dvc.lock.tmp.123.0"));
  EXPECT_FALSE(IsTempName("f1.txt"));
  EXPECT_FALSE(IsTempName(".gitignore"));
  EXPECT_FALSE(IsTempName(".f1.tmp"));
  EXPECT_FALSE(IsTempName(".f1.tmp.12"));
  EXPECT_FALSE(IsTempName(".f1.tmp.12.x"));
  EXPECT_FALSE(IsTempName(".tmp.1.2"));
}

TEST(ReadChunksTest, FillsEveryChunkButTheLast) {
  testing::TempDir dir;
  testing::WriteFile(dir / "data", "abcdefghij");
  int fd = ::open((dir / "data").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  char buffer[4];
  std::vector<std::string> chunks;
  ASSERT_TRUE(ReadChunks(fd, dir / "data", buffer, [&](std::string_view chunk) {
                chunks.emplace_back(chunk);
              }).ok());
  ::close(fd);
  EXPECT_EQ(chunks, (std::vector<std::string>{"abcd", "efgh", "ij"}));
  EXPECT_EQ(ReadFileToString(dir / "missing").status().message(),
            fmt::format("cannot read {}: No such file or directory", (dir / "missing").string()));
}

TEST(IsExecutableFileTest, LooksAtTheOwnerExecuteBitOfRegularFiles) {
  testing::TempDir dir;
  testing::WriteFile(dir / "script.sh", "#!/bin/sh\n");
  EXPECT_FALSE(IsExecutableFile(dir / "script.sh"));
  fs::permissions(dir / "script.sh", fs::perms::owner_exec, fs::perm_options::add);
  EXPECT_TRUE(IsExecutableFile(dir / "script.sh"));
  EXPECT_FALSE(IsExecutableFile(dir.path()));
}

}  // namespace
}  // namespace conveyor
