#include "cache/stat_cache.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <vector>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using ::conveyor::testing::TempDir;

std::unique_ptr<StatCache> OpenOrDie(const std::filesystem::path& path) {
  Result<std::unique_ptr<StatCache>> cache = StatCache::Open(path);
  EXPECT_TRUE(cache.ok()) << cache.status().ToString();
  return cache.ok() ? std::move(cache).value() : nullptr;
}

constexpr FileStat kStat{1, 2, 3000000000, 4};
constexpr char kMd5[] = "900150983cd24fb0d6963f7d28e17f72";

TEST(StatCacheTest, FileHitsOnlyWhenEveryStatFieldMatches) {
  TempDir dir;
  auto cache = OpenOrDie(dir / "tmp" / "conveyor" / "stat-cache.db");
  ASSERT_NE(cache, nullptr);
  std::vector<FileRecord> records = {{"/r/a", kStat, kMd5}};
  ASSERT_TRUE(cache->PutFiles(records).ok());
  Result<std::optional<std::string>> hit = cache->LookupFile("/r/a", kStat);
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit->value_or("<miss>"), kMd5);
  for (FileStat changed : {FileStat{9, 2, 3000000000, 4}, FileStat{1, 9, 3000000000, 4},
                           FileStat{1, 2, 3000000001, 4}, FileStat{1, 2, 3000000000, 9}}) {
    EXPECT_FALSE(cache->LookupFile("/r/a", changed)->has_value());
  }
  EXPECT_FALSE(cache->LookupFile("/r/b", kStat)->has_value());
}

TEST(StatCacheTest, LargeUnsignedValuesRoundTrip) {
  TempDir dir;
  auto cache = OpenOrDie(dir / "c.db");
  FileStat big{UINT64_MAX, UINT64_MAX - 1, -5, UINT64_MAX - 2};
  std::vector<FileRecord> records = {{"/x", big, kMd5}};
  ASSERT_TRUE(cache->PutFiles(records).ok());
  EXPECT_TRUE(cache->LookupFile("/x", big)->has_value());
}

TEST(StatCacheTest, LoadFilesUnderIsExactlyTheSubtree) {
  TempDir dir;
  auto cache = OpenOrDie(dir / "c.db");
  std::vector<FileRecord> records = {{"/r/data/a", kStat, kMd5}, {"/r/data/sub/b", kStat, kMd5},
                                     {"/r/data", kStat, kMd5},   {"/r/data-2/c", kStat, kMd5},
                                     {"/r/data0", kStat, kMd5},  {"/r/dat/d", kStat, kMd5}};
  ASSERT_TRUE(cache->PutFiles(records).ok());
  auto under = cache->LoadFilesUnder("/r/data");
  ASSERT_TRUE(under.ok());
  EXPECT_EQ(under->size(), 2u);
  EXPECT_TRUE(under->contains("/r/data/a"));
  EXPECT_TRUE(under->contains("/r/data/sub/b"));
  EXPECT_EQ(under->at("/r/data/a").stat, kStat);
}

TEST(StatCacheTest, DirectoryRecordsNeedTheSameKeyAndPersist) {
  TempDir dir;
  DirRecord record{"/r/data", std::string("k\0ey", 4),
                   HashInfo{"d751713988987e9331980363e24189ce.dir", 7, 2}, std::string(32, '\x01')};
  {
    auto cache = OpenOrDie(dir / "c.db");
    ASSERT_TRUE(cache->PutDir(record).ok());
  }
  auto cache = OpenOrDie(dir / "c.db");  // reopened: the data survived
  auto hit = cache->LookupDir("/r/data", record.key);
  ASSERT_TRUE(hit.ok());
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ((*hit)->hash, record.hash);
  EXPECT_EQ((*hit)->entry_md5s, record.entry_md5s);
  EXPECT_FALSE(cache->LookupDir("/r/data", "other")->has_value());
}

TEST(StatCacheTest, RecordsSchemaVersionAndRefusesNewer) {
  TempDir dir;
  std::filesystem::path path = dir / "c.db";
  ASSERT_NE(OpenOrDie(path), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema_version'", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), StatCache::kSchemaVersion);
  sqlite3_finalize(stmt);
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value='99' WHERE key='schema_version'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  Result<std::unique_ptr<StatCache>> newer = StatCache::Open(path);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), Code::kInvalid);
  EXPECT_EQ(newer.status().message(),
            "stat cache " + path.string() +
                " has schema version 99, newer than this conveyor supports (1); upgrade "
                "conveyor or delete the file");
}

TEST(StatCacheTest, UnopenableDatabaseNamesThePath) {
  TempDir dir;
  testing::WriteFile(dir / "file", "x");
  Result<std::unique_ptr<StatCache>> cache = StatCache::Open(dir / "file" / "c.db");
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.status().code(), Code::kIo);
  EXPECT_NE(cache.status().message().find((dir / "file" / "c.db").string()), std::string::npos)
      << cache.status().message();
}

}  // namespace
}  // namespace conveyor
