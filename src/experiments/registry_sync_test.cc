#include "experiments/registry_sync.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/file_util.h"
#include "registry/model_ref.h"
#include "remote/local_storage.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// A registry with helpers to add experiments the way `repro` does.
class Registry {
 public:
  explicit Registry(const fs::path& path) {
    auto store = OpenRegistryStore("sqlite:" + path.string());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  RegistryStore& operator*() { return *store_; }
  RegistryStore* operator->() { return store_.get(); }

  // An experiment tagged `tag` that started at `started_ms`, producing a
  // version of "digits" with content `md5` (none when empty).
  ExperimentRecord Run(const std::string& tag, int64_t started_ms, const std::string& md5,
                       double accuracy) {
    ExperimentRecord record;
    record.tag = tag;
    record.commit = std::string(40, 'a' + static_cast<char>(started_ms % 6));
    record.branch = "main";
    record.author = "Ada <ada@example.com>";
    record.started_at_ms = started_ms;
    record.finished_at_ms = started_ms + 1500;
    record.params = {{"params.yaml", {{"train.max_depth", 6}}}};
    record.metrics = {{"metrics.json", {{"accuracy", accuracy}}}};
    record.lineage = {{.stage = "train",
                       .role = "out",
                       .path = "model",
                       .md5 = md5.empty() ? "00000000000000000000000000000000.dir" : md5,
                       .size = 1234,
                       .nfiles = 2}};
    std::vector<NewModelVersion> models;
    if (!md5.empty()) {
      models.push_back({.model = "digits",
                        .path = "model",
                        .md5 = md5,
                        .spec_path = "model/model.yaml",
                        .description = "digits classifier",
                        .created_by = "ci"});
    }
    auto added = store_->AddExperiment(record, models);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added->first;
  }

  int VersionOf(const std::string& ref) {
    auto version = ResolveModelRef(*store_, ref);
    EXPECT_TRUE(version.ok()) << ref << ": " << version.status().ToString();
    return version.ok() ? version->version : -1;
  }

  std::string Md5Of(const std::string& ref) {
    auto version = ResolveModelRef(*store_, ref);
    return version.ok() ? version->md5 : "<" + version.status().ToString() + ">";
  }

 private:
  std::unique_ptr<RegistryStore> store_;
};

std::string Md5(char c) { return std::string(32, c) + ".dir"; }

void Tick() { std::this_thread::sleep_for(std::chrono::milliseconds(3)); }

class RegistrySyncTest : public ::testing::Test {
 protected:
  RegistrySyncTest() : remote_(dir_ / "remote", "test-remote") {}

  RegistryPushReport Push(Registry& registry) {
    auto report = PushRegistry(*registry, remote_, dir_ / "scratch");
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : RegistryPushReport{};
  }
  RegistryImportReport Import(Registry& registry, bool mirror) {
    auto report = ImportRegistry(remote_, *registry, dir_ / "scratch", {.mirror_aliases = mirror});
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : RegistryImportReport{};
  }
  fs::path RemoteFile(const std::string& key) { return dir_ / "remote" / key; }

  TempDir dir_;
  LocalStorage remote_;
};

TEST_F(RegistrySyncTest, ExperimentsAndTheirVersionsTravel) {
  Registry source(dir_ / "source.db");
  source.Run("a1b2c3d", 1000, Md5('1'), 0.91);
  source.Run("e4f5a6b", 2000, Md5('2'), 0.94);
  source.Run("c7d8e9f", 3000, "", 0.94);  // left the model unchanged

  RegistryPushReport pushed = Push(source);
  EXPECT_EQ(pushed.experiments_uploaded, 3U);
  EXPECT_EQ(pushed.experiments_present, 0U);

  Registry mirror(dir_ / "mirror.db");
  RegistryImportReport imported = Import(mirror, /*mirror=*/true);
  EXPECT_EQ(imported.experiments_imported, 3U);
  EXPECT_EQ(mirror.Md5Of("digits@a1b2c3d"), Md5('1'));
  EXPECT_EQ(mirror.Md5Of("digits@e4f5a6b"), Md5('2'));
  EXPECT_EQ(mirror.VersionOf("digits@latest"), 2);
  EXPECT_EQ(mirror.VersionOf("digits@1"), 1);

  auto experiments = mirror->ListExperiments({.oldest_first = true});
  ASSERT_TRUE(experiments.ok());
  ASSERT_EQ(experiments->size(), 3U);
  const ExperimentRecord& second = (*experiments)[1];
  EXPECT_EQ(second.tag, "e4f5a6b");
  EXPECT_EQ(second.metrics["metrics.json"]["accuracy"], 0.94);
  EXPECT_EQ(second.params["params.yaml"]["train.max_depth"], 6);
  EXPECT_EQ(second.started_at_ms, 2000);
  EXPECT_EQ(second.finished_at_ms, 3500);
  ASSERT_EQ(second.lineage.size(), 1U);
  EXPECT_EQ(second.lineage[0].md5, Md5('2'));
  EXPECT_EQ(second.lineage[0].nfiles, 2);
  auto version = mirror->GetModelVersion("digits", 2);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->spec_path, "model/model.yaml");
  EXPECT_EQ(version->created_by, "ci");
  EXPECT_EQ(version->experiment_tag, "e4f5a6b");
}

TEST_F(RegistrySyncTest, RepeatedPushAndImportMoveNothing) {
  Registry source(dir_ / "source.db");
  source.Run("a1b2c3d", 1000, Md5('1'), 0.91);
  Push(source);
  RegistryPushReport again = Push(source);
  EXPECT_EQ(again.experiments_uploaded, 0U);
  EXPECT_EQ(again.experiments_present, 1U);

  Registry mirror(dir_ / "mirror.db");
  Import(mirror, true);
  RegistryImportReport twice = Import(mirror, true);
  EXPECT_FALSE(twice.changed());
  EXPECT_EQ(twice.experiments_known, 1U);
  // A registry that imported the record pushes it back as the same object.
  RegistryPushReport from_mirror = Push(mirror);
  EXPECT_EQ(from_mirror.experiments_uploaded, 0U);
  EXPECT_EQ(from_mirror.experiments_present, 1U);
}

TEST_F(RegistrySyncTest, RecordsFromSeveralRegistriesImportOldestFirst) {
  Registry laptop(dir_ / "laptop.db");
  Registry ci(dir_ / "ci.db");
  laptop.Run("aaaaaaa", 1000, Md5('1'), 0.90);
  ci.Run("bbbbbbb", 2000, Md5('2'), 0.92);
  laptop.Run("ccccccc", 3000, Md5('3'), 0.93);
  Push(ci);
  Push(laptop);

  Registry mirror(dir_ / "mirror.db");
  EXPECT_EQ(Import(mirror, true).experiments_imported, 3U);
  EXPECT_EQ(mirror.Md5Of("digits@1"), Md5('1'));
  EXPECT_EQ(mirror.Md5Of("digits@2"), Md5('2'));
  EXPECT_EQ(mirror.Md5Of("digits@3"), Md5('3'));
  EXPECT_EQ(mirror.Md5Of("digits@bbbbbbb"), Md5('2'));
}

TEST_F(RegistrySyncTest, TakenTagGetsSuffixAndOwnRecordsStay) {
  Registry source(dir_ / "source.db");
  source.Run("a1b2c3d", 1000, Md5('1'), 0.91);
  Push(source);

  Registry project(dir_ / "project.db");
  project.Run("a1b2c3d", 5000, Md5('9'), 0.50);  // a different run, same tag
  EXPECT_EQ(Import(project, false).experiments_imported, 1U);
  auto experiments = project->ListExperiments({.oldest_first = true});
  ASSERT_TRUE(experiments.ok());
  ASSERT_EQ(experiments->size(), 2U);
  EXPECT_EQ((*experiments)[0].tag, "a1b2c3d");
  EXPECT_EQ((*experiments)[1].tag, "a1b2c3d.2");
  EXPECT_EQ(project.Md5Of("digits@a1b2c3d.2"), Md5('1'));
  EXPECT_EQ(project.Md5Of("digits@a1b2c3d"), Md5('9'));
}

TEST_F(RegistrySyncTest, HandRegisteredVersionTravelsOnce) {
  Registry source(dir_ / "source.db");
  NewModelVersion manual{.model = "imported",
                         .path = "ext/model",
                         .md5 = Md5('7'),
                         .spec_path = "ext/model/model.yaml",
                         .description = "from the old system",
                         .created_by = "ada"};
  ASSERT_TRUE(source->RegisterModelVersion(manual).ok());
  ASSERT_TRUE(source->RegisterModelVersion(manual).ok());  // same content again
  RegistryPushReport pushed = Push(source);
  EXPECT_EQ(pushed.versions_uploaded, 1U);

  Registry mirror(dir_ / "mirror.db");
  EXPECT_EQ(Import(mirror, true).versions_imported, 1U);
  auto version = mirror->GetModelVersion("imported", 1);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(version->md5, Md5('7'));
  EXPECT_EQ(version->description, "from the old system");
  EXPECT_FALSE(version->experiment_id.has_value());
  EXPECT_EQ(Import(mirror, true).versions_known, 1U);
}

TEST_F(RegistrySyncTest, MirrorFollowsAliasesNewestMoveWins) {
  Registry laptop(dir_ / "laptop.db");
  laptop.Run("aaaaaaa", 1000, Md5('1'), 0.90);
  laptop.Run("bbbbbbb", 2000, Md5('2'), 0.92);
  ASSERT_TRUE(laptop->SetAlias("digits", "production", 1, "ada", "first").ok());
  Push(laptop);

  Registry mirror(dir_ / "mirror.db");
  Import(mirror, true);
  EXPECT_EQ(mirror.Md5Of("digits@production"), Md5('1'));

  // A CI runner's registry that never moved an alias leaves them alone.
  Registry ci(dir_ / "ci.db");
  ci.Run("ccccccc", 3000, Md5('3'), 0.95);
  EXPECT_EQ(Push(ci).alias_files_written, 0U);

  // A second machine promotes later; the laptop's stale push keeps it.
  Registry desk(dir_ / "desk.db");
  Import(desk, false);
  Tick();
  ASSERT_TRUE(
      desk->SetAlias("digits", "production", desk.VersionOf("digits@ccccccc"), "bob", "better")
          .ok());
  EXPECT_EQ(Push(desk).alias_files_written, 1U);
  EXPECT_EQ(Push(laptop).alias_files_written, 0U);

  EXPECT_GT(Import(mirror, true).aliases_changed, 0U);
  EXPECT_EQ(mirror.Md5Of("digits@production"), Md5('3'));

  // Removing an alias travels as a removal.
  Tick();
  ASSERT_TRUE(desk->RemoveAlias("digits", "production", "bob", "rollback").ok());
  Push(desk);
  Import(mirror, true);
  EXPECT_FALSE(ResolveModelRef(*mirror, "digits@production").ok()) << "production should be gone";
  // An alias the mirror has on its own is not the remote's: removed too.
  ASSERT_TRUE(mirror->SetAlias("digits", "local-only", 1, "x", "").ok());
  EXPECT_EQ(Import(mirror, true).aliases_changed, 1U);
  auto aliases = mirror->Aliases("digits");
  ASSERT_TRUE(aliases.ok());
  EXPECT_TRUE(aliases->empty());
}

TEST_F(RegistrySyncTest, ProjectImportLeavesItsAliasesAlone) {
  Registry laptop(dir_ / "laptop.db");
  laptop.Run("aaaaaaa", 1000, Md5('1'), 0.90);
  ASSERT_TRUE(laptop->SetAlias("digits", "production", 1, "ada", "").ok());
  Push(laptop);
  Registry project(dir_ / "project.db");
  RegistryImportReport report = Import(project, false);
  EXPECT_EQ(report.experiments_imported, 1U);
  EXPECT_EQ(report.aliases_changed, 0U);
  auto aliases = project->Aliases("digits");
  ASSERT_TRUE(aliases.ok());
  EXPECT_TRUE(aliases->empty());
}

TEST_F(RegistrySyncTest, BrokenRecordIsNamedAndNothingIsHalfImported) {
  Registry source(dir_ / "source.db");
  ExperimentRecord first = source.Run("aaaaaaa", 1000, Md5('1'), 0.90);
  source.Run("bbbbbbb", 2000, Md5('2'), 0.92);
  Push(source);
  const std::string key =
      std::string(kRemoteRegistryPrefix) + "experiments/" + ExperimentSyncId(first) + ".json";
  std::string text = ReadFile(RemoteFile(key));
  WriteFile(RemoteFile(key), text.replace(text.find("\"started_at_ms\""), 15, "\"started_atms\""));

  Registry mirror(dir_ / "mirror.db");
  auto report = ImportRegistry(remote_, *mirror, dir_ / "scratch", {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Code::kInvalid);
  EXPECT_NE(report.status().message().find(key), std::string::npos) << report.status().message();
  EXPECT_NE(report.status().message().find("started_at_ms"), std::string::npos);
  auto count = mirror->CountExperiments();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0);
  EXPECT_FALSE(fs::exists(dir_ / "scratch")) << "scratch files left behind";
}

TEST_F(RegistrySyncTest, NewerFormatIsRefusedWithAnUpgradeHint) {
  Registry source(dir_ / "source.db");
  ExperimentRecord record = source.Run("aaaaaaa", 1000, Md5('1'), 0.90);
  Push(source);
  const std::string key =
      std::string(kRemoteRegistryPrefix) + "experiments/" + ExperimentSyncId(record) + ".json";
  std::string text = ReadFile(RemoteFile(key));
  WriteFile(RemoteFile(key), text.replace(text.find("\"format\": 1"), 11, "\"format\": 2"));
  Registry mirror(dir_ / "mirror.db");
  auto report = ImportRegistry(remote_, *mirror, dir_ / "scratch", {});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("upgrade conveyor"), std::string::npos)
      << report.status().message();
}

TEST_F(RegistrySyncTest, MalformedAliasFileIsAnErrorNotACrash) {
  Registry laptop(dir_ / "laptop.db");
  laptop.Run("aaaaaaa", 1000, Md5('1'), 0.90);
  ASSERT_TRUE(laptop->SetAlias("digits", "production", 1, "ada", "").ok());
  Push(laptop);
  const std::string key = std::string(kRemoteRegistryPrefix) + "aliases/digits.json";
  std::string text = ReadFile(RemoteFile(key));
  WriteFile(RemoteFile(key),
            text.replace(text.find("\"at_ms\""), 7, "\"removed\": \"yes\", \"at_ms\""));
  Registry mirror(dir_ / "mirror.db");
  auto report = ImportRegistry(remote_, *mirror, dir_ / "scratch", {.mirror_aliases = true});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Code::kInvalid);
  EXPECT_NE(report.status().message().find("'removed'"), std::string::npos)
      << report.status().message();
}

TEST_F(RegistrySyncTest, EmptyRemoteImportsNothing) {
  Registry mirror(dir_ / "mirror.db");
  RegistryImportReport report = Import(mirror, true);
  EXPECT_FALSE(report.changed());
  EXPECT_EQ(report.experiments_known, 0U);
}

TEST_F(RegistrySyncTest, ModelObjectsListEveryVersionsContent) {
  Registry source(dir_ / "source.db");
  source.Run("aaaaaaa", 1000, Md5('1'), 0.90);
  source.Run("bbbbbbb", 2000, Md5('2'), 0.92);
  auto objects = RegistryModelObjects(*source);
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(*objects, (std::set<std::string>{Md5('1'), Md5('2')}));
}

TEST(SyncIdTest, DependsOnTheRunNotTheTagOrStore) {
  ExperimentRecord a{.tag = "x", .commit = std::string(40, 'f'), .started_at_ms = 5};
  ExperimentRecord b = a;
  b.tag = "x.2";
  b.id = 17;
  EXPECT_EQ(ExperimentSyncId(a), ExperimentSyncId(b));
  b.started_at_ms = 6;
  EXPECT_NE(ExperimentSyncId(a), ExperimentSyncId(b));
  EXPECT_EQ(ExperimentSyncId(a).size(), 32U);
  EXPECT_NE(VersionSyncId("m", "1"), VersionSyncId("m", "2"));
}

}  // namespace
}  // namespace conveyor
