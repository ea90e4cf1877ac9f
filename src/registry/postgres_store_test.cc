#include "registry/postgres_store.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "registry/alias_listener.h"
#include "registry/pg_connection.h"
#include "registry/postgres_schema.h"
#include "registry/store_conformance.h"
#include "testing/postgres_server.h"
#include "testing/time_scale.h"

namespace conveyor {

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(StoreFactory{
                             "Postgres",
                             [] { return testing::SharedPostgresServer().CreateDatabase(); }}),
                         FactoryName);

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// "postgresql://user@host..." -> "postgresql://user:PASSWORD@host...".
std::string WithPassword(const std::string& url, std::string_view password) {
  std::string out = url;
  out.insert(out.find('@'), ":" + std::string(password));
  return out;
}

// A port on 127.0.0.1 with nothing listening.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::unique_ptr<RegistryStore> Open(const std::string& url) {
  Result<std::unique_ptr<RegistryStore>> store = OpenPostgresStore(url);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::unique_ptr<PgConnection> Connect(const std::string& url) {
  Result<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(url);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return conn.ok() ? std::move(conn).value() : nullptr;
}

// The first column of the first row of `sql`, as text.
std::string Query(PgConnection& conn, std::string_view sql) {
  Result<PgResult> rows = conn.Exec(sql);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() && rows->rows() > 0 ? rows->Text(0, 0) : "<none>";
}

ExperimentRecord Experiment(std::string tag) {
  ExperimentRecord record;
  record.tag = std::move(tag);
  record.started_at_ms = 1000;
  record.finished_at_ms = 2000;
  return record;
}

TEST(PostgresStoreTest, UnreachableServerIsUnavailableQuicklyAndHidesThePassword) {
  int port = ClosedPort();
  std::string url = fmt::format("postgresql://alice:s3cret-pw@127.0.0.1:{}/registry", port);
  auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<RegistryStore>> store = OpenRegistryStore(url);
  auto elapsed = std::chrono::steady_clock::now() - start;

  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
  EXPECT_THAT(
      store.status().message(),
      StartsWith(fmt::format(
          "cannot connect to PostgreSQL at postgresql://alice@127.0.0.1:{}/registry: ", port)));
  EXPECT_THAT(store.status().message(), HasSubstr("Connection refused"));
  EXPECT_THAT(store.status().message(), Not(HasSubstr("s3cret")));
  EXPECT_LT(elapsed, testing::Scaled(std::chrono::seconds(3)));
}

TEST(PostgresStoreTest, PasswordInTheQueryIsHiddenToo) {
  std::string url =
      fmt::format("postgresql://bob@127.0.0.1:{}/db?password=pa%24%24word", ClosedPort());
  Result<std::unique_ptr<RegistryStore>> store = OpenPostgresStore(url);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
  EXPECT_THAT(store.status().message(), Not(HasSubstr("pa$$word")));
  EXPECT_THAT(store.status().message(), Not(HasSubstr("pa%24%24word")));
}

TEST(PostgresStoreTest, MalformedUrlIsInvalidWithoutThePassword) {
  Result<std::unique_ptr<RegistryStore>> store =
      OpenPostgresStore("postgresql://carol:topsecret@127.0.0.1:notaport/db");
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), Not(HasSubstr("topsecret")));
}

TEST(PostgresStoreTest, RefusedLoginIsUnavailableWithoutThePassword) {
  testing::PostgresServer& server = testing::SharedPostgresServer();
  std::string url =
      fmt::format("postgresql://nosuchrole:hunter2@127.0.0.1:{}/postgres", server.port());
  Result<std::unique_ptr<RegistryStore>> store = OpenPostgresStore(url);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr("nosuchrole"));
  EXPECT_THAT(store.status().message(), Not(HasSubstr("hunter2")));
}

TEST(PostgresStoreTest, DescribeOmitsThePassword) {
  std::string url = testing::SharedPostgresServer().CreateDatabase();
  std::unique_ptr<RegistryStore> store = Open(WithPassword(url, "hunter2"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe(), url);
}

TEST(PostgresStoreTest, NewerSchemaIsRefusedAndLeftUnchanged) {
  std::string url = testing::SharedPostgresServer().CreateDatabase();
  {
    std::unique_ptr<RegistryStore> store = Open(url);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AddExperiment(Experiment("abc1234"), {}).ok());
  }
  std::unique_ptr<PgConnection> admin = Connect(url);
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(admin->Exec("UPDATE conveyor_schema_version SET version = 2").ok());

  Result<std::unique_ptr<RegistryStore>> store = OpenRegistryStore(url);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kConflict);
  EXPECT_EQ(store.status().message(),
            fmt::format("registry database {} has schema version 2, newer than this conveyor "
                        "understands (1); upgrade conveyor to use it",
                        url));
  EXPECT_EQ(Query(*admin, "SELECT version FROM conveyor_schema_version"), "2");
  EXPECT_EQ(Query(*admin, "SELECT count(*) FROM experiments"), "1");
}

TEST(PostgresStoreTest, NewerSchemaInAnOtherwiseEmptyDatabaseCreatesNothing) {
  std::string url = testing::SharedPostgresServer().CreateDatabase();
  std::unique_ptr<PgConnection> admin = Connect(url);
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(admin->Exec("CREATE TABLE conveyor_schema_version (version integer)").ok());
  ASSERT_TRUE(admin->Exec("INSERT INTO conveyor_schema_version VALUES (7)").ok());

  Result<std::unique_ptr<RegistryStore>> store = OpenPostgresStore(url);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kConflict);
  EXPECT_THAT(store.status().message(), HasSubstr("schema version 7"));
  EXPECT_EQ(Query(*admin, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "1");
}

TEST(PostgresStoreTest, ConcurrentOpensOfAFreshDatabaseBothMigrate) {
  std::string url = testing::SharedPostgresServer().CreateDatabase();
  constexpr int kOpeners = 4;
  std::latch start(kOpeners);
  std::vector<Status> results(kOpeners);
  std::vector<std::thread> threads;
  threads.reserve(kOpeners);
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = OpenPostgresStore(url).status();
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  for (const Status& status : results)
    EXPECT_TRUE(status.ok()) << status.ToString();
  std::unique_ptr<PgConnection> admin = Connect(url);
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(Query(*admin, "SELECT version FROM conveyor_schema_version"),
            std::to_string(kPostgresSchemaVersion));
  EXPECT_EQ(Query(*admin, "SELECT count(*) FROM conveyor_schema_version"), "1");
}

TEST(PostgresStoreTest, ConcurrentWritersGetDistinctVersionsAndTags) {
  std::string url = testing::SharedPostgresServer().CreateDatabase();
  ASSERT_NE(Open(url), nullptr);
  constexpr int kWriters = 4;
  constexpr int kEach = 8;
  std::latch start(kWriters);
  std::vector<std::vector<int>> versions(kWriters);
  std::vector<std::vector<std::string>> tags(kWriters);
  std::vector<std::thread> threads;
  threads.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::unique_ptr<RegistryStore> store = Open(url);
      if (store == nullptr)
        return;
      start.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        auto added = store->AddExperiment(Experiment("workspace"), {{.model = "m", .md5 = "x"}});
        ASSERT_TRUE(added.ok()) << added.status().ToString();
        tags[w].push_back(added->first.tag);
        versions[w].push_back(added->second.at(0).version);
        auto registered = store->RegisterModelVersion({.model = "m", .md5 = "y"});
        ASSERT_TRUE(registered.ok()) << registered.status().ToString();
        versions[w].push_back(registered->version);
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  std::set<int> all_versions;
  std::set<std::string> all_tags;
  for (int w = 0; w < kWriters; ++w) {
    all_versions.insert(versions[w].begin(), versions[w].end());
    all_tags.insert(tags[w].begin(), tags[w].end());
  }
  EXPECT_EQ(all_versions.size(), size_t{2} * kWriters * kEach);
  EXPECT_EQ(*all_versions.rbegin(), 2 * kWriters * kEach);
  EXPECT_EQ(all_tags.size(), size_t{kWriters} * kEach);
  EXPECT_EQ(all_tags.count("workspace"), 1u);
  EXPECT_EQ(all_tags.count(fmt::format("workspace.{}", kWriters * kEach)), 1u);
}

TEST(PostgresStoreTest, ParamsKeepKeyOrderAndExactFloats) {
  std::unique_ptr<RegistryStore> store = Open(testing::SharedPostgresServer().CreateDatabase());
  ASSERT_NE(store, nullptr);
  ExperimentRecord record = Experiment("abc");
  record.params = nlohmann::ordered_json::parse(
      R"({"params.yaml": {"z": 1, "a": 0.1, "m": 1e-300, "b": 0.30000000000000004}})");
  record.metrics = nlohmann::ordered_json::parse(R"({"m.json": {"zeta": 2.5, "alpha": -0.0}})");
  record.lineage = {{"train", "dep", "data.csv", "d41d8cd98f00b204e9800998ecf8427e", 10, -1},
                    {"train", "out", "model", "0123.dir", -1, 3}};
  auto added = store->AddExperiment(record, {});
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  Result<ExperimentRecord> got = store->GetExperiment(added->first.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->params.dump(), record.params.dump());
  EXPECT_EQ(got->metrics.dump(), record.metrics.dump());
  EXPECT_EQ(got->params["params.yaml"]["b"].get<double>(), 0.30000000000000004);
  EXPECT_EQ(got->lineage, record.lineage);
}

TEST(PostgresStoreTest, ReconnectsAfterTheServerDropsTheConnection) {
  std::string url = testing::SharedPostgresServer().CreateDatabase();
  std::unique_ptr<RegistryStore> store = Open(url);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AddExperiment(Experiment("a"), {}).ok());
  std::unique_ptr<PgConnection> admin = Connect(url);
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(Query(*admin,
                  "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                  "WHERE application_name = 'conveyor' AND pid <> pg_backend_pid() "
                  "AND datname = current_database()"),
            "1");
  Result<int64_t> count = store->CountExperiments();
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 1);
}

}  // namespace
}  // namespace conveyor

namespace conveyor {
namespace {

// Polls `listener` for up to 5 s (scaled).
bool Heard(AliasListener& listener, std::string_view model, std::string_view alias) {
  return testing::WaitUntil(
      std::chrono::milliseconds(5000), [&] { return listener.Moved(model, alias); },
      std::chrono::milliseconds(20));
}

TEST(AliasListenerTest, HearsCommittedMovesOfItsAliasOnly) {
  const std::string url = testing::SharedPostgresServer().CreateDatabase();
  std::unique_ptr<RegistryStore> store = Open(url);
  ASSERT_NE(store, nullptr);
  NewModelVersion version{.model = "clf",
                          .path = "model",
                          .md5 = "0123456789abcdef0123456789abcdef",
                          .spec_path = "model/model.yaml"};
  ASSERT_TRUE(store->RegisterModelVersion(version).ok());
  ASSERT_TRUE(store->RegisterModelVersion(version).ok());
  Result<std::unique_ptr<AliasListener>> opened = AliasListener::Open(url);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  AliasListener& listener = **opened;
  EXPECT_FALSE(listener.Moved("clf", "production"));

  ASSERT_TRUE(store->SetAlias("clf", "production", 1, "ci", "").ok());
  EXPECT_TRUE(Heard(listener, "clf", "production"));
  EXPECT_FALSE(listener.Moved("clf", "production")) << "heard once";

  // Another alias, and a conditional move that is refused (rolled back):
  // nothing to hear about production.
  ASSERT_TRUE(store->SetAlias("clf", "staging", 2, "ci", "").ok());
  EXPECT_EQ(store->SetAliasIf("clf", "production", 2, 0, "ci", "").status().code(),
            Code::kConflict);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(listener.Moved("clf", "production"));

  ASSERT_TRUE(store->RemoveAlias("clf", "production", "ci", "").ok());
  EXPECT_TRUE(Heard(listener, "clf", "production"));
  EXPECT_EQ(AliasNotification("clf", "production"), "clf@production");
  EXPECT_EQ(AliasListener::Open("postgresql://nobody@127.0.0.1:1/none").status().code(),
            Code::kUnavailable);
}

}  // namespace
}  // namespace conveyor
