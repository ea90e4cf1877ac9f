#include "experiments/pending_experiments.h"

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "experiments/registry_sync.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::unique_ptr<RegistryStore> OpenStore(const fs::path& path) {
  auto store = OpenRegistryStore("sqlite:" + path.string());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// A run of the digits pipeline that produced model content `md5`.
ExperimentDraft Draft(const std::string& tag, int64_t started_ms, const std::string& md5) {
  ExperimentDraft draft;
  draft.record.tag = tag;
  draft.record.commit = std::string(40, 'c');
  draft.record.branch = "main";
  draft.record.author = "Ada <ada@example.com>";
  draft.record.started_at_ms = started_ms;
  draft.record.finished_at_ms = started_ms + 2500;
  draft.record.params = {{"params.yaml", {{"train.max_depth", 6}}}};
  draft.record.metrics = {{"metrics.json", {{"accuracy", 0.93}}}};
  draft.record.lineage = {
      {.stage = "train", .role = "out", .path = "model", .md5 = md5, .size = 77, .nfiles = 2}};
  draft.models.push_back({.model = "digits",
                          .path = "model",
                          .md5 = md5,
                          .spec_path = "model/model.yaml",
                          .description = "digits classifier",
                          .created_by = "ada"});
  return draft;
}

std::string Md5(char c) { return std::string(32, c) + ".dir"; }

class PendingExperimentsTest : public ::testing::Test {
 protected:
  TempDir temp_;
  fs::path dir_ = PendingExperimentsDir(temp_.path());
  std::unique_ptr<RegistryStore> store_ = OpenStore(temp_.path() / "registry.db");
};

TEST_F(PendingExperimentsTest, KeptRunsAreRecordedOldestFirstWithTheirActorThenRemoved) {
  ASSERT_TRUE(store_);
  // Kept out of order: the listing orders them by start.
  auto later = KeepPendingExperiment(dir_, Draft("b2b2b2b", 1'800'000'000'000, Md5('b')));
  auto earlier = KeepPendingExperiment(dir_, Draft("a1a1a1a", 1'700'000'000'000, Md5('a')));
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  ASSERT_TRUE(earlier.ok()) << earlier.status().ToString();
  EXPECT_EQ(earlier->filename(), "1700000000000-a1a1a1a.json");
  auto listed = ListPendingExperiments(dir_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, (std::vector<fs::path>{*earlier, *later}));

  auto recorded = RecordPendingExperiments(*store_, dir_);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  ASSERT_EQ(recorded->size(), 2u);
  EXPECT_EQ((*recorded)[0].record.tag, "a1a1a1a");
  EXPECT_FALSE((*recorded)[0].already_recorded);
  ASSERT_EQ((*recorded)[0].versions.size(), 1u);
  EXPECT_EQ((*recorded)[0].versions[0].version, 1);
  EXPECT_EQ((*recorded)[1].versions[0].version, 2);
  EXPECT_FALSE(fs::exists(*earlier));
  EXPECT_FALSE(fs::exists(*later));

  // The store holds what the runs would have recorded.
  auto versions = store_->ListModelVersions("digits");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ(versions->front().md5, Md5('b'));
  EXPECT_EQ(versions->front().created_by, "ada");
  EXPECT_EQ(versions->front().experiment_tag, "b2b2b2b");
  auto experiments = store_->FindExperiments("a1a1a1a");
  ASSERT_TRUE(experiments.ok());
  ASSERT_EQ(experiments->size(), 1u);
  const ExperimentRecord& stored = experiments->front();
  EXPECT_EQ(stored.metrics, Draft("a", 0, "").record.metrics);
  EXPECT_EQ(stored.params, Draft("a", 0, "").record.params);
  EXPECT_EQ(stored.finished_at_ms, 1'700'000'002'500);
  EXPECT_EQ(stored.lineage, Draft("a", 0, Md5('a')).record.lineage);

  // Nothing left: a second call records nothing.
  auto again = RecordPendingExperiments(*store_, dir_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST_F(PendingExperimentsTest, AFileWhoseRunIsAlreadyStoredIsOnlyRemoved) {
  // A crash after the registry write, before the removal.
  ASSERT_TRUE(store_);
  ExperimentDraft draft = Draft("c3c3c3c", 1'750'000'000'000, Md5('c'));
  auto kept = KeepPendingExperiment(dir_, draft);
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(RecordExperiment(*store_, draft, "ada").ok());

  auto recorded = RecordPendingExperiments(*store_, dir_);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  ASSERT_EQ(recorded->size(), 1u);
  EXPECT_TRUE((*recorded)[0].already_recorded);
  EXPECT_FALSE(fs::exists(*kept));
  auto experiments = store_->ListExperiments({});
  ASSERT_TRUE(experiments.ok());
  EXPECT_EQ(experiments->size(), 1u);
}

TEST_F(PendingExperimentsTest, AnUnreadableFileIsNamedAndKeptAndStopsTheRest) {
  ASSERT_TRUE(store_);
  ASSERT_TRUE(fs::create_directories(dir_));
  ASSERT_TRUE(AtomicWriteFile(dir_ / "1600000000000-broken.json", "{\"format\": 1,").ok());
  auto later = KeepPendingExperiment(dir_, Draft("d4d4d4d", 1'900'000'000'000, Md5('d')));
  ASSERT_TRUE(later.ok());
  // A temporary file of an unfinished write is not a pending record.
  ASSERT_TRUE(AtomicWriteFile(dir_ / ".x.json.tmp.1.1", "junk").ok());

  auto recorded = RecordPendingExperiments(*store_, dir_);
  ASSERT_FALSE(recorded.ok());
  EXPECT_NE(recorded.status().message().find("1600000000000-broken.json is not valid JSON"),
            std::string::npos)
      << recorded.status().ToString();
  EXPECT_TRUE(fs::exists(dir_ / "1600000000000-broken.json"));
  EXPECT_TRUE(fs::exists(*later));
  auto experiments = store_->ListExperiments({});
  ASSERT_TRUE(experiments.ok());
  EXPECT_TRUE(experiments->empty());

  // A file with a field of the wrong type names the file and the field.
  fs::remove(dir_ / "1600000000000-broken.json");
  std::string text = *ReadFileToString(*later);
  const std::string from = "\"dirty\": false";
  ASSERT_NE(text.find(from), std::string::npos) << text;
  text.replace(text.find(from), from.size(), "\"dirty\": \"no\"");
  ASSERT_TRUE(AtomicWriteFile(*later, text).ok());
  recorded = RecordPendingExperiments(*store_, dir_);
  ASSERT_FALSE(recorded.ok());
  EXPECT_NE(recorded.status().message().find("d4d4d4d.json: field 'dirty' has the wrong type"),
            std::string::npos)
      << recorded.status().ToString();
}

TEST_F(PendingExperimentsTest, AnInvalidTagIsRefusedNotWrittenAsAPath) {
  auto kept = KeepPendingExperiment(dir_, Draft("../x", 1'650'000'000'000, Md5('e')));
  ASSERT_FALSE(kept.ok());
  EXPECT_NE(kept.status().message().find("invalid experiment tag '../x'"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "x.json"));
}

TEST_F(PendingExperimentsTest, NoDirectoryMeansNothingPending) {
  auto listed = ListPendingExperiments(dir_);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  ASSERT_TRUE(store_);
  auto recorded = RecordPendingExperiments(*store_, dir_);
  ASSERT_TRUE(recorded.ok());
  EXPECT_TRUE(recorded->empty());
  EXPECT_FALSE(fs::exists(dir_));
}

}  // namespace
}  // namespace conveyor
