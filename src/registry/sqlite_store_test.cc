#include "registry/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "registry/store_conformance.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// True when `text` contains `part`; shows both otherwise.
::testing::AssertionResult Contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

// Every database of the conformance suite lives in one directory, removed
// when the test binary exits.
std::string FreshSqliteUrl() {
  static TempDir dir;
  static int counter = 0;
  return "sqlite:" + (dir.path() / fmt::format("registry-{}.db", ++counter)).string();
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"Sqlite", FreshSqliteUrl}), FactoryName);

// A raw connection, as another process would hold one.
class RawConnection {
 public:
  explicit RawConnection(const fs::path& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawConnection() { sqlite3_close(db_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void Exec(const char* sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  int64_t Int(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr), SQLITE_OK) << sql;
    int64_t value = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::unique_ptr<RegistryStore> OpenOrDie(const fs::path& path, SqliteStoreOptions options = {}) {
  Result<std::unique_ptr<RegistryStore>> store = OpenSqliteStore(path, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

ExperimentRecord Experiment(std::string tag) {
  ExperimentRecord record;
  record.tag = std::move(tag);
  return record;
}

NewModelVersion Model(std::string name) {
  return NewModelVersion{.model = std::move(name), .path = "model.bin", .md5 = "00"};
}

TEST(SqliteStoreTest, NewerSchemaIsRefusedAndLeftUntouched) {
  TempDir dir;
  fs::path path = dir / "registry.db";
  {
    std::unique_ptr<RegistryStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AddExperiment(Experiment("e1"), {Model("clf")}).ok());
  }
  {
    RawConnection raw(path);
    raw.Exec("UPDATE schema_version SET version = 2");
  }
  std::string before = ReadFile(path);
  ASSERT_NE(before, "<missing>");

  Result<std::unique_ptr<RegistryStore>> refused = OpenSqliteStore(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kConflict);
  EXPECT_EQ(refused.status().message(),
            "registry database " + path.string() +
                " has schema version 2, newer than this conveyor understands (version 1); "
                "upgrade conveyor");
  EXPECT_EQ(OpenRegistryStore("sqlite:" + path.string()).status().code(), Code::kConflict);

  EXPECT_EQ(ReadFile(path), before);
  RawConnection raw(path);
  EXPECT_EQ(raw.Int("SELECT version FROM schema_version"), 2);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM experiments"), 1);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM model_versions"), 1);
}

TEST(SqliteStoreTest, LockedDatabaseIsUnavailableAfterTheTimeout) {
  TempDir dir;
  fs::path path = dir / "registry.db";
  std::unique_ptr<RegistryStore> store = OpenOrDie(path, {.busy_timeout_ms = 200});
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AddExperiment(Experiment("before"), {}).ok());

  RawConnection other(path);
  other.Exec("BEGIN IMMEDIATE");
  auto start = std::chrono::steady_clock::now();
  auto added = store->AddExperiment(Experiment("blocked"), {Model("clf")});
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.status().code(), Code::kUnavailable);
  EXPECT_EQ(added.status().message(),
            "registry database " + path.string() + " is locked by another process (waited 200 ms)");
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, testing::Scaled(std::chrono::seconds(3)));
  EXPECT_EQ(store->RegisterModelVersion(Model("clf")).status().code(), Code::kUnavailable);

  // Readers are not blocked by a writer (WAL), and a second store opens.
  EXPECT_EQ(*store->CountExperiments(), 1);
  std::unique_ptr<RegistryStore> second = OpenOrDie(path, {.busy_timeout_ms = 200});
  EXPECT_NE(second, nullptr);

  other.Exec("ROLLBACK");
  EXPECT_TRUE(store->AddExperiment(Experiment("after"), {}).ok());
  EXPECT_EQ(*store->CountExperiments(), 2);
}

TEST(SqliteStoreTest, UncreatableDirectoryIsAnIoError) {
  TempDir dir;
  WriteFile(dir / "file", "not a directory");
  fs::path path = dir / "file" / "sub" / "registry.db";
  Result<std::unique_ptr<RegistryStore>> store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kIo);
  EXPECT_TRUE(Contains(store.status().message(), path.string()));
}

TEST(SqliteStoreTest, FileThatIsNotADatabaseIsAnIoError) {
  TempDir dir;
  fs::path path = dir / "registry.db";
  WriteFile(path, std::string(4096, 'x'));
  Result<std::unique_ptr<RegistryStore>> store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kIo);
  EXPECT_TRUE(Contains(store.status().message(), path.string()));
  EXPECT_EQ(ReadFile(path), std::string(4096, 'x'));
}

TEST(SqliteStoreTest, ReopeningKeepsTheData) {
  TempDir dir;
  fs::path path = dir / "nested" / "dir" / "registry.db";
  {
    std::unique_ptr<RegistryStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AddExperiment(Experiment("e1"), {Model("clf")}).ok());
    ASSERT_TRUE(store->SetAlias("clf", "production", 1, "alice", "first").ok());
  }
  std::unique_ptr<RegistryStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->CountExperiments(), 1);
  Result<ModelVersion> version = store->GetModelVersion("clf", 1);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(version->experiment_tag, "e1");
  EXPECT_EQ(version->aliases, std::vector<std::string>{"production"});
  EXPECT_EQ(store->AliasHistory("clf")->size(), 1u);
  // Numbering continues where it left off.
  EXPECT_EQ(store->RegisterModelVersion(Model("clf"))->version, 2);
  RawConnection raw(path);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM schema_version"), 1);
}

TEST(SqliteStoreTest, FailureInsideTheTransactionRollsEverythingBack) {
  TempDir dir;
  fs::path path = dir / "registry.db";
  std::unique_ptr<RegistryStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  RawConnection raw(path);
  raw.Exec(
      "CREATE TRIGGER fail BEFORE INSERT ON model_versions "
      "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
  ExperimentRecord record = Experiment("e1");
  record.lineage = {{"train", "out", "model.bin", "00", 1, -1}};
  auto added = store->AddExperiment(record, {Model("clf")});
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.status().code(), Code::kIo);
  EXPECT_TRUE(Contains(added.status().message(), "disk on fire"));
  EXPECT_EQ(raw.Int("SELECT count(*) FROM experiments"), 0);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM lineage"), 0);

  raw.Exec("DROP TRIGGER fail");
  auto retried = store->AddExperiment(record, {Model("clf")});
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->first.tag, "e1");
  EXPECT_EQ(retried->second.at(0).version, 1);
}

TEST(SqliteStoreTest, ConcurrentFirstOpensOfAFreshFile) {
  TempDir dir;
  fs::path path = dir / "registry.db";
  constexpr int kThreads = 4;
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Result<std::unique_ptr<RegistryStore>> store = OpenSqliteStore(path);
      if (!store.ok()) {
        errors[t] = store.status().ToString();
        return;
      }
      auto added = (*store)->AddExperiment(Experiment("first"), {Model("clf")});
      if (!added.ok())
        errors[t] = added.status().ToString();
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(errors[t], "") << "thread " << t;
  RawConnection raw(path);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM experiments"), kThreads);
  EXPECT_EQ(raw.Int("SELECT version FROM schema_version"), 1);
}

TEST(SqliteStoreTest, UrlFormsReachTheSameFile) {
  TempDir dir;
  fs::path path = dir / "registry.db";
  Result<std::unique_ptr<RegistryStore>> plain = OpenRegistryStore(path.string());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ((*plain)->Describe(), "sqlite:" + path.string());
  ASSERT_TRUE((*plain)->AddExperiment(Experiment("e1"), {}).ok());
  for (const std::string& url :
       std::vector<std::string>{"sqlite:" + path.string(), "sqlite://" + path.string()}) {
    Result<std::unique_ptr<RegistryStore>> store = OpenRegistryStore(url);
    ASSERT_TRUE(store.ok()) << url << ": " << store.status().ToString();
    EXPECT_EQ(*(*store)->CountExperiments(), 1) << url;
    EXPECT_EQ((*store)->Describe(), "sqlite:" + path.string());
  }
  for (const std::string& url :
       std::vector<std::string>{"", "sqlite:", "sqlite://", "mysql://host/db"}) {
    EXPECT_EQ(OpenRegistryStore(url).status().code(), Code::kInvalid) << url;
  }
  EXPECT_TRUE(Contains(OpenRegistryStore("mysql://host/db").status().message(), "'mysql'"));
}

}  // namespace
}  // namespace conveyor
