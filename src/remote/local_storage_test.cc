#include "remote/local_storage.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/file_util.h"
#include "common/md5.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

TEST(ObjectKeyTest, SplitsTheFirstTwoDigits) {
  EXPECT_EQ(ObjectKey("d8e8fca2dc0f896fd7cb4cb0031ba249"),
            "files/md5/d8/e8fca2dc0f896fd7cb4cb0031ba249");
  EXPECT_EQ(ObjectKey("d8e8fca2dc0f896fd7cb4cb0031ba249.dir"),
            "files/md5/d8/e8fca2dc0f896fd7cb4cb0031ba249.dir");
}

TEST(OpenRemoteStorageTest, RelativePathIsRelativeToBaseDir) {
  RemoteConfig remote{"store", "../store", {}, "/p/.dvc"};
  auto storage = OpenRemoteStorage(remote);
  ASSERT_TRUE(storage.ok()) << storage.status().message();
  auto* local = dynamic_cast<LocalStorage*>(storage->get());
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->root(), fs::path("/p/store"));
  EXPECT_EQ((*storage)->Describe(), "../store");
}

TEST(OpenRemoteStorageTest, FileUrl) {
  auto storage = OpenRemoteStorage({"store", "file:///mnt/store", {}, "/p/.dvc"});
  ASSERT_TRUE(storage.ok());
  EXPECT_EQ(dynamic_cast<LocalStorage*>(storage->get())->root(), fs::path("/mnt/store"));
}

TEST(OpenRemoteStorageTest, PicksTheBackendByScheme) {
  auto s3 = OpenRemoteStorage({"cloud", "s3://bucket/x", {}, "/p/.dvc"});
  ASSERT_TRUE(s3.ok()) << s3.status().message();
  EXPECT_EQ((*s3)->Describe(), "s3://bucket/x");
  // A scheme with no backend (ssh:// has one now: sftp_storage.h).
  auto gs = OpenRemoteStorage({"box", "gs://bucket/path", {}, "/p/.dvc"});
  ASSERT_FALSE(gs.ok());
  EXPECT_EQ(gs.status().code(), Code::kInvalid);
  EXPECT_EQ(gs.status().message(), "remote 'box': gs:// storage is not built in yet");
}

TEST(LocalStorageTest, UploadListExistsDownload) {
  TempDir dir;
  ASSERT_TRUE(AtomicWriteFile(dir / "src", "hello").ok());
  LocalStorage storage(dir / "remote");
  ASSERT_TRUE(storage.Upload(dir / "src", "files/md5/ab/cdef").ok());
  EXPECT_EQ(ReadFileToString(dir / "remote/files/md5/ab/cdef").value(), "hello");

  auto listed = storage.List("files/md5/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key, "files/md5/ab/cdef");
  EXPECT_EQ((*listed)[0].size, 5u);
  EXPECT_TRUE(storage.List("files/md5/ac/")->empty());

  EXPECT_TRUE(storage.Exists("files/md5/ab/cdef").value());
  EXPECT_FALSE(storage.Exists("files/md5/ab/0000").value());

  Result<FileDigest> got = storage.Download("files/md5/ab/cdef", dir / "out");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(ReadFileToString(dir / "out").value(), "hello");
  EXPECT_EQ(*got, (FileDigest{Md5Hex("hello"), 5}));  // hashed while copying
  // No temporary files left behind.
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir / "remote/files/md5/ab")) {
    (void)entry;
    ++count;
  }
  EXPECT_EQ(count, 1u);
}

TEST(LocalStorageTest, MissingRootListsEmptyButExistsAndDownloadSayNotFound) {
  TempDir dir;
  LocalStorage storage(dir / "nowhere");
  EXPECT_TRUE(storage.List("files/md5/")->empty());
  auto exists = storage.Exists("files/md5/ab/cd");
  ASSERT_FALSE(exists.ok());
  EXPECT_EQ(exists.status().code(), Code::kNotFound);
  EXPECT_EQ(exists.status().message(),
            "remote folder " + (dir / "nowhere").string() + " does not exist");
  Status download = storage.Download("files/md5/ab/cd", dir / "out").status();
  EXPECT_EQ(download.code(), Code::kNotFound);
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(LocalStorageTest, MissingObjectIsNotFound) {
  TempDir dir;
  fs::create_directories(dir / "remote");
  LocalStorage storage(dir / "remote", "store");
  Status download = storage.Download("files/md5/ab/cd", dir / "out").status();
  EXPECT_EQ(download.code(), Code::kNotFound);
  EXPECT_EQ(download.message(), "store: no object files/md5/ab/cd");
}

TEST(LocalStorageTest, ListSkipsTemporaryFiles) {
  TempDir dir;
  fs::create_directories(dir / "remote/files/md5/ab");
  ASSERT_TRUE(AtomicWriteFile(dir / "remote/files/md5/ab/.cd.tmp.1.2", "x").ok());
  LocalStorage storage(dir / "remote");
  EXPECT_TRUE(storage.List("files/md5/")->empty());
}

}  // namespace
}  // namespace conveyor
