// The behaviour every RegistryStore must have. Instantiated per backend
// (sqlite_store_test.cc, postgres_store_test.cc) with a factory for fresh
// databases.
#include "registry/store_conformance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "registry/registry_store.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

// True when `text` contains `part`; shows both otherwise.
::testing::AssertionResult Contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

std::unique_ptr<RegistryStore> OpenOrDie(const std::string& url) {
  Result<std::unique_ptr<RegistryStore>> store = OpenRegistryStore(url);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

ExperimentRecord Experiment(std::string tag, std::string commit = "") {
  ExperimentRecord record;
  record.tag = std::move(tag);
  record.commit = std::move(commit);
  record.started_at_ms = 1700000000000;
  record.finished_at_ms = 1700000001500;
  return record;
}

NewModelVersion Model(std::string name, std::string md5 = "0123456789abcdef0123456789abcdef") {
  return NewModelVersion{.model = std::move(name),
                         .path = "model/model.bin",
                         .md5 = std::move(md5),
                         .spec_path = "model/model.yaml",
                         .description = "a model",
                         .created_by = "alice"};
}

std::vector<std::string> Tags(const std::vector<ExperimentRecord>& records) {
  std::vector<std::string> tags;
  for (const ExperimentRecord& record : records)
    tags.push_back(record.tag);
  return tags;
}

std::vector<int> Versions(const std::vector<ModelVersion>& versions) {
  std::vector<int> numbers;
  for (const ModelVersion& version : versions)
    numbers.push_back(version.version);
  return numbers;
}

// A fresh database from the instantiation's factory and one store on it.
struct Fresh {
  Fresh() : url(StoreConformanceTest::GetParam().fresh_url()), store(OpenOrDie(url)) {}

  // Adds an experiment that must succeed.
  std::pair<ExperimentRecord, std::vector<ModelVersion>> Add(
      ExperimentRecord record, const std::vector<NewModelVersion>& models = {}) {
    auto added = store->AddExperiment(std::move(record), models);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? std::move(added).value()
                      : std::pair<ExperimentRecord, std::vector<ModelVersion>>();
  }

  std::string url;
  std::unique_ptr<RegistryStore> store;
};

TEST_P(StoreConformanceTest, DescribeIsNotEmpty) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  EXPECT_FALSE(db.store->Describe().empty());
}

TEST_P(StoreConformanceTest, ExperimentRoundTripsEveryField) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  ExperimentRecord record = Experiment("a1b2c3d", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678");
  record.branch = "main";
  record.author = "Zoë Ångström <zoe@example.com>";
  record.dirty = true;
  record.status = ExperimentStatus::kFailed;
  record.message = "stage 'train' failed: exit 1 — see log ✗";
  // Key order must survive ("z" before "a"), as must exact doubles and unicode.
  record.params = Json::parse(R"({"params.yaml": {"z.last": 1, "a.first": "ü→日本",
      "train.lr": 0.1, "train.tiny": 1e-300, "train.pi": 3.141592653589793,
      "train.big": 9007199254740993, "train.neg": -42, "flags": [true, false, null]}})");
  record.metrics = Json::parse(R"({"metrics.json": {"accuracy": 0.9400000000000001,
      "loss": 2.5e-7, "nested": {"deep": {"x": -0.0}}}})");
  record.lineage = {
      {"prepare", "dep", "data/raw.csv", "00112233445566778899aabbccddeeff", 1234, -1},
      {"train", "out", "model", "ffeeddccbbaa99887766554433221100.dir", 98765, 3},
      {"sub/dvc.yaml:eval", "dep", "données/ñ.txt", "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f", -1, -1},
  };
  auto [stored, versions] = db.Add(record);
  EXPECT_GT(stored.id, 0);
  EXPECT_EQ(stored.tag, "a1b2c3d");
  EXPECT_TRUE(versions.empty());

  Result<ExperimentRecord> got = db.store->GetExperiment(stored.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, stored.id);
  EXPECT_EQ(got->tag, record.tag);
  EXPECT_FALSE(got->named);
  EXPECT_EQ(got->commit, record.commit);
  EXPECT_EQ(got->branch, "main");
  EXPECT_EQ(got->author, record.author);
  EXPECT_TRUE(got->dirty);
  EXPECT_EQ(got->status, ExperimentStatus::kFailed);
  EXPECT_EQ(got->started_at_ms, 1700000000000);
  EXPECT_EQ(got->finished_at_ms, 1700000001500);
  EXPECT_EQ(got->params.dump(), record.params.dump());
  EXPECT_EQ(got->metrics.dump(), record.metrics.dump());
  EXPECT_EQ(got->params["params.yaml"]["train.tiny"].get<double>(), 1e-300);
  EXPECT_EQ(got->metrics["metrics.json"]["accuracy"].get<double>(), 0.9400000000000001);
  EXPECT_EQ(got->params["params.yaml"].begin().key(), "z.last");
  EXPECT_EQ(got->lineage, record.lineage);
  EXPECT_EQ(got->message, record.message);
}

TEST_P(StoreConformanceTest, ExperimentDefaultsRoundTrip) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  auto [stored, versions] = db.Add(Experiment("workspace"));
  Result<ExperimentRecord> got = db.store->GetExperiment(stored.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->status, ExperimentStatus::kSucceeded);
  EXPECT_FALSE(got->dirty);
  EXPECT_EQ(got->commit, "");
  EXPECT_EQ(got->params, Json::object());
  EXPECT_EQ(got->metrics, Json::object());
  EXPECT_TRUE(got->lineage.empty());
}

TEST_P(StoreConformanceTest, ListExperimentsOrdersAndPages) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  for (const std::string& tag : std::vector<std::string>{"e1", "e2", "e3", "e4", "e5"})
    db.Add(Experiment(tag));
  auto list = [&](const ExperimentQuery& query) {
    Result<std::vector<ExperimentRecord>> listed = db.store->ListExperiments(query);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    return listed.ok() ? Tags(*listed) : std::vector<std::string>{"<error>"};
  };
  EXPECT_EQ(list({}), (std::vector<std::string>{"e5", "e4", "e3", "e2", "e1"}));
  EXPECT_EQ(list({.oldest_first = true}), (std::vector<std::string>{"e1", "e2", "e3", "e4", "e5"}));
  EXPECT_EQ(list({.limit = 2}), (std::vector<std::string>{"e5", "e4"}));
  EXPECT_EQ(list({.limit = 2, .offset = 2}), (std::vector<std::string>{"e3", "e2"}));
  EXPECT_EQ(list({.limit = 10, .offset = 3, .oldest_first = true}),
            (std::vector<std::string>{"e4", "e5"}));
  EXPECT_EQ(list({.offset = 4}), (std::vector<std::string>{"e1"}));
  EXPECT_TRUE(list({.offset = 9}).empty());
  EXPECT_TRUE(list({.limit = 0}).empty());
  Result<int64_t> count = db.store->CountExperiments();
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 5);
}

TEST_P(StoreConformanceTest, ListedExperimentsCarryLineageAndJson) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  ExperimentRecord record = Experiment("with-lineage");
  record.params = Json::parse(R"({"params.yaml": {"k": "v"}})");
  record.lineage = {{"train", "out", "model.bin", "00000000000000000000000000000000", 5, -1}};
  db.Add(record);
  db.Add(Experiment("bare"));
  Result<std::vector<ExperimentRecord>> listed = db.store->ListExperiments({.oldest_first = true});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].lineage, record.lineage);
  EXPECT_EQ((*listed)[0].params, record.params);
  EXPECT_TRUE((*listed)[1].lineage.empty());
}

TEST_P(StoreConformanceTest, TakenTagsGetNumberedSuffixes) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  EXPECT_EQ(db.Add(Experiment("abc")).first.tag, "abc");
  EXPECT_EQ(db.Add(Experiment("abc")).first.tag, "abc.2");
  EXPECT_EQ(db.Add(Experiment("abc")).first.tag, "abc.3");
  EXPECT_EQ(db.Add(Experiment("abcd")).first.tag, "abcd");
  ExperimentRecord named = Experiment("baseline");
  named.named = true;
  auto [stored, _] = db.Add(named);
  EXPECT_EQ(stored.tag, "baseline");
  Result<ExperimentRecord> got = db.store->GetExperiment(stored.id);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->named);
  // An unnamed proposal that collides with a name is suffixed too.
  EXPECT_EQ(db.Add(Experiment("baseline")).first.tag, "baseline.2");
}

TEST_P(StoreConformanceTest, TakenNameIsRefused) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  ExperimentRecord named = Experiment("baseline");
  named.named = true;
  db.Add(named);
  auto again = db.store->AddExperiment(named, {Model("clf")});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_TRUE(Contains(again.status().message(), "'baseline'"));
  // Nor may a name take a tag an unnamed run already has.
  db.Add(Experiment("a1b2c3d"));
  named.tag = "a1b2c3d";
  EXPECT_EQ(db.store->AddExperiment(named, {}).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(*db.store->CountExperiments(), 2);
  EXPECT_TRUE(db.store->ListModels()->empty());
}

TEST_P(StoreConformanceTest, InvalidTagsAreRefused) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  for (const std::string& tag :
       std::vector<std::string>{"", "has space", "a@b", ".hidden", std::string(129, 'x')}) {
    auto added = db.store->AddExperiment(Experiment(tag), {});
    EXPECT_EQ(added.status().code(), Code::kInvalid) << "tag '" << tag << "'";
  }
  EXPECT_EQ(*db.store->CountExperiments(), 0);
}

TEST_P(StoreConformanceTest, GetUnknownExperimentIsNotFound) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  Result<ExperimentRecord> got = db.store->GetExperiment(42);
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(got.status().message(), "42"));
}

TEST_P(StoreConformanceTest, FindExperimentsByTagThenCommitPrefix) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  const std::string commit1 = "abcd1234abcd1234abcd1234abcd1234abcd1234";
  const std::string commit2 = "abcd9999abcd1234abcd1234abcd1234abcd1234";
  int64_t first = db.Add(Experiment("abcd123", commit1)).first.id;
  int64_t second = db.Add(Experiment("abcd999", commit2)).first.id;
  int64_t rerun = db.Add(Experiment("abcd123", commit1)).first.id;  // tag "abcd123.2"
  // A tag that looks like a prefix of other commits: the tag wins.
  int64_t tagged = db.Add(Experiment("abcd", "ffff000000000000000000000000000000000000")).first.id;

  auto find = [&](std::string_view ref) {
    Result<std::vector<ExperimentRecord>> found = db.store->FindExperiments(ref);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<int64_t> ids;
    for (const ExperimentRecord& record : found.ok() ? *found : std::vector<ExperimentRecord>{})
      ids.push_back(record.id);
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  EXPECT_EQ(find("abcd123"), (std::vector<int64_t>{first}));
  EXPECT_EQ(find("abcd123.2"), (std::vector<int64_t>{rerun}));
  EXPECT_EQ(find("abcd"), (std::vector<int64_t>{tagged}));
  EXPECT_EQ(find("abcd1"), (std::vector<int64_t>{first, rerun}));
  EXPECT_EQ(find("abcd9"), (std::vector<int64_t>{second}));
  EXPECT_EQ(find(commit2), (std::vector<int64_t>{second}));
  EXPECT_EQ(find("ffff"), (std::vector<int64_t>{tagged}));
  EXPECT_TRUE(find("fff").empty());    // too short for a commit prefix
  EXPECT_TRUE(find("ABCD1").empty());  // commits are lower-case hex
  EXPECT_TRUE(find("abcdx").empty());
  EXPECT_TRUE(find("nothing").empty());
  // The records found are complete.
  Result<std::vector<ExperimentRecord>> found = db.store->FindExperiments("abcd9");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].commit, commit2);
  EXPECT_EQ((*found)[0].tag, "abcd999");
}

TEST_P(StoreConformanceTest, RemoveExperimentsUnlinksTheirModelVersions) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  ExperimentRecord record = Experiment("gone");
  record.lineage = {{"train", "out", "model.bin", "00000000000000000000000000000000", 5, -1}};
  auto [gone, gone_versions] = db.Add(record, {Model("clf")});
  auto [kept, kept_versions] = db.Add(Experiment("kept"), {Model("clf")});
  ASSERT_TRUE(db.store->SetAlias("clf", "production", 1, "alice", "").ok());

  ASSERT_TRUE(db.store->RemoveExperiments({gone.id}).ok());
  EXPECT_EQ(db.store->GetExperiment(gone.id).status().code(), Code::kNotFound);
  EXPECT_EQ(*db.store->CountExperiments(), 1);
  Result<ModelVersion> v1 = db.store->GetModelVersion("clf", 1);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_FALSE(v1->experiment_id.has_value());
  EXPECT_EQ(v1->experiment_tag, "");
  EXPECT_EQ(v1->md5, gone_versions[0].md5);
  EXPECT_EQ(v1->aliases, (std::vector<std::string>{"production"}));
  Result<ModelVersion> v2 = db.store->GetModelVersion("clf", 2);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->experiment_id, kept.id);
  EXPECT_EQ(v2->experiment_tag, "kept");
  // The freed tag can be proposed again without a suffix.
  EXPECT_EQ(db.Add(Experiment("gone")).first.tag, "gone");
}

TEST_P(StoreConformanceTest, RemoveWithAnUnknownIdChangesNothing) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  int64_t a = db.Add(Experiment("a")).first.id;
  int64_t b = db.Add(Experiment("b")).first.id;
  Status status = db.store->RemoveExperiments({a, b + 100, b});
  EXPECT_EQ(status.code(), Code::kNotFound);
  EXPECT_TRUE(Contains(status.message(), std::to_string(b + 100)));
  EXPECT_EQ(*db.store->CountExperiments(), 2);
  EXPECT_TRUE(db.store->GetExperiment(a).ok());
  EXPECT_TRUE(db.store->RemoveExperiments({}).ok());
  EXPECT_TRUE(db.store->RemoveExperiments({a, b}).ok());
  EXPECT_EQ(*db.store->CountExperiments(), 0);
}

TEST_P(StoreConformanceTest, ModelVersionsAreNumberedPerModel) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  auto [e1, v1] = db.Add(Experiment("e1"), {Model("clf"), Model("encoder")});
  ASSERT_EQ(v1.size(), 2u);
  EXPECT_EQ(v1[0].model, "clf");
  EXPECT_EQ(v1[0].version, 1);
  EXPECT_EQ(v1[0].experiment_id, e1.id);
  EXPECT_EQ(v1[0].experiment_tag, "e1");
  EXPECT_EQ(v1[1].model, "encoder");
  EXPECT_EQ(v1[1].version, 1);
  auto [e2, v2] = db.Add(Experiment("e2"), {Model("clf", "ffffffffffffffffffffffffffffffff")});
  ASSERT_EQ(v2.size(), 1u);
  EXPECT_EQ(v2[0].version, 2);
  // Two outputs of one model in one run take consecutive versions.
  auto [e3, v3] = db.Add(Experiment("e3"), {Model("clf"), Model("clf")});
  EXPECT_EQ(Versions(v3), (std::vector<int>{3, 4}));

  Result<ModelVersion> manual = db.store->RegisterModelVersion(Model("encoder"));
  ASSERT_TRUE(manual.ok()) << manual.status().ToString();
  EXPECT_EQ(manual->version, 2);
  EXPECT_FALSE(manual->experiment_id.has_value());
  EXPECT_EQ(manual->experiment_tag, "");
  EXPECT_GT(manual->created_at_ms, 0);

  EXPECT_EQ(*db.store->ListModels(), (std::vector<std::string>{"clf", "encoder"}));
  Result<std::vector<ModelVersion>> clf = db.store->ListModelVersions("clf");
  ASSERT_TRUE(clf.ok()) << clf.status().ToString();
  EXPECT_EQ(Versions(*clf), (std::vector<int>{4, 3, 2, 1}));

  Result<ModelVersion> got = db.store->GetModelVersion("clf", 2);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->model, "clf");
  EXPECT_EQ(got->experiment_id, e2.id);
  EXPECT_EQ(got->experiment_tag, "e2");
  EXPECT_EQ(got->path, "model/model.bin");
  EXPECT_EQ(got->md5, "ffffffffffffffffffffffffffffffff");
  EXPECT_EQ(got->spec_path, "model/model.yaml");
  EXPECT_EQ(got->description, "a model");
  EXPECT_EQ(got->created_by, "alice");
  EXPECT_EQ(got->created_at_ms, v2[0].created_at_ms);
  EXPECT_GT(got->created_at_ms, 0);
  EXPECT_TRUE(got->aliases.empty());
}

TEST_P(StoreConformanceTest, ModelVersionErrors) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  db.Add(Experiment("e1"), {Model("classifier")});
  Result<std::vector<ModelVersion>> unknown = db.store->ListModelVersions("clasifier");
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(unknown.status().message(), "'clasifier'"));
  Result<ModelVersion> missing = db.store->GetModelVersion("classifier", 7);
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(missing.status().message(), "classifier@7"));
  EXPECT_EQ(db.store->GetModelVersion("nope", 1).status().code(), Code::kNotFound);
  for (const std::string& bad :
       std::vector<std::string>{"", "-lead", "has space", "a/b", std::string(129, 'm')}) {
    EXPECT_EQ(db.store->RegisterModelVersion(Model(bad)).status().code(), Code::kInvalid) << bad;
  }
  EXPECT_EQ(*db.store->ListModels(), (std::vector<std::string>{"classifier"}));
}

TEST_P(StoreConformanceTest, FailedAddExperimentLeavesNoRow) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  auto added = db.store->AddExperiment(Experiment("e1"), {Model("ok"), Model("not ok")});
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.status().code(), Code::kInvalid);
  EXPECT_TRUE(Contains(added.status().message(), "'not ok'"));
  EXPECT_EQ(*db.store->CountExperiments(), 0);
  EXPECT_TRUE(db.store->FindExperiments("e1")->empty());
  EXPECT_TRUE(db.store->ListModels()->empty());
  // The tag was not consumed.
  EXPECT_EQ(db.Add(Experiment("e1"), {Model("ok")}).first.tag, "e1");
  EXPECT_EQ(db.store->GetModelVersion("ok", 1)->experiment_tag, "e1");
}

TEST_P(StoreConformanceTest, AliasesMoveAndKeepHistory) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  db.Add(Experiment("e1"), {Model("clf")});
  db.Add(Experiment("e2"), {Model("clf")});
  db.Add(Experiment("e3"), {Model("clf")});

  Result<AliasEvent> set = db.store->SetAlias("clf", "production", 1, "alice", "first");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->model, "clf");
  EXPECT_EQ(set->alias, "production");
  EXPECT_EQ(set->version, 1);
  EXPECT_EQ(set->previous_version, 0);
  EXPECT_EQ(set->actor, "alice");
  EXPECT_EQ(set->reason, "first");
  EXPECT_GT(set->at_ms, 0);

  Result<AliasEvent> moved =
      db.store->SetAlias("clf", "production", 2, "ci-bot", "promoted: accuracy 0.95 > 0.94");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->version, 2);
  EXPECT_EQ(moved->previous_version, 1);
  ASSERT_TRUE(db.store->SetAlias("clf", "staging", 2, "bob", "").ok());
  ASSERT_TRUE(db.store->SetAlias("clf", "canary", 3, "bob", "").ok());

  Result<std::map<std::string, int>> aliases = db.store->Aliases("clf");
  ASSERT_TRUE(aliases.ok()) << aliases.status().ToString();
  EXPECT_EQ(*aliases,
            (std::map<std::string, int>{{"canary", 3}, {"production", 2}, {"staging", 2}}));
  Result<std::vector<ModelVersion>> versions = db.store->ListModelVersions("clf");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].aliases, (std::vector<std::string>{"canary"}));
  EXPECT_EQ((*versions)[1].aliases, (std::vector<std::string>{"production", "staging"}));
  EXPECT_TRUE((*versions)[2].aliases.empty());
  EXPECT_EQ(db.store->GetModelVersion("clf", 2)->aliases,
            (std::vector<std::string>{"production", "staging"}));

  Result<AliasEvent> removed = db.store->RemoveAlias("clf", "production", "carol", "rollback");
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(removed->version, 0);
  EXPECT_EQ(removed->previous_version, 2);
  EXPECT_EQ(removed->actor, "carol");
  EXPECT_EQ(db.store->GetModelVersion("clf", 2)->aliases, (std::vector<std::string>{"staging"}));
  EXPECT_EQ(db.store->Aliases("clf")->count("production"), 0u);

  Result<std::vector<AliasEvent>> history = db.store->AliasHistory("clf");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 5u);
  using Move = std::tuple<std::string, int, int, std::string, std::string>;
  std::vector<Move> moves;
  for (const AliasEvent& event : *history) {
    EXPECT_EQ(event.model, "clf");
    EXPECT_GT(event.at_ms, 0);
    moves.emplace_back(event.alias, event.version, event.previous_version, event.actor,
                       event.reason);
  }
  EXPECT_EQ(moves,
            (std::vector<Move>{Move{"production", 1, 0, "alice", "first"},
                               Move{"production", 2, 1, "ci-bot", "promoted: accuracy 0.95 > 0.94"},
                               Move{"staging", 2, 0, "bob", ""}, Move{"canary", 3, 0, "bob", ""},
                               Move{"production", 0, 2, "carol", "rollback"}}));
  for (size_t i = 1; i < history->size(); ++i)
    EXPECT_LE((*history)[i - 1].at_ms, (*history)[i].at_ms);
}

TEST_P(StoreConformanceTest, SetAliasIfMovesOnlyAnUnmovedAlias) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  db.Add(Experiment("e1"), {Model("clf")});
  db.Add(Experiment("e2"), {Model("clf")});
  db.Add(Experiment("e3"), {Model("clf")});

  // Unset is expected as 0.
  Result<AliasEvent> first = db.store->SetAliasIf("clf", "production", 1, 0, "gate", "first");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->previous_version, 0);
  Result<AliasEvent> stale = db.store->SetAliasIf("clf", "production", 3, 0, "gate", "");
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), Code::kConflict);
  EXPECT_NE(stale.status().message().find("clf@production moved meanwhile: it is v1 now, "
                                          "expected unset"),
            std::string::npos)
      << stale.status().message();

  // Someone else moves it between a gate's read and its write.
  ASSERT_TRUE(db.store->SetAlias("clf", "production", 2, "bob", "by hand").ok());
  Result<AliasEvent> lost = db.store->SetAliasIf("clf", "production", 3, 1, "gate", "");
  EXPECT_EQ(lost.status().code(), Code::kConflict);
  EXPECT_EQ(db.store->Aliases("clf")->at("production"), 2);
  EXPECT_EQ(db.store->AliasHistory("clf")->size(), 2u);  // no event for the refusals

  Result<AliasEvent> won = db.store->SetAliasIf("clf", "production", 3, 2, "gate", "better");
  ASSERT_TRUE(won.ok()) << won.status().ToString();
  EXPECT_EQ(won->previous_version, 2);
  EXPECT_EQ(db.store->Aliases("clf")->at("production"), 3);
  // The same checks as SetAlias still apply first.
  EXPECT_EQ(db.store->SetAliasIf("clf", "production", 9, 3, "gate", "").status().code(),
            Code::kNotFound);
}

TEST_P(StoreConformanceTest, AliasesAndHistoryArePerModel) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  db.Add(Experiment("e1"), {Model("clf"), Model("encoder")});
  ASSERT_TRUE(db.store->SetAlias("clf", "production", 1, "alice", "").ok());
  ASSERT_TRUE(db.store->SetAlias("encoder", "production", 1, "alice", "").ok());
  ASSERT_TRUE(db.store->RemoveAlias("encoder", "production", "alice", "").ok());
  EXPECT_EQ(*db.store->Aliases("clf"), (std::map<std::string, int>{{"production", 1}}));
  EXPECT_TRUE(db.store->Aliases("encoder")->empty());
  EXPECT_EQ(db.store->AliasHistory("clf")->size(), 1u);
  EXPECT_EQ(db.store->AliasHistory("encoder")->size(), 2u);
  EXPECT_EQ(db.store->Aliases("nope").status().code(), Code::kNotFound);
  EXPECT_EQ(db.store->AliasHistory("nope").status().code(), Code::kNotFound);
}

TEST_P(StoreConformanceTest, AliasErrors) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  db.Add(Experiment("e1"), {Model("clf")});
  Result<AliasEvent> missing = db.store->SetAlias("clf", "production", 9, "alice", "");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(missing.status().message(), "clf@9"));
  Result<AliasEvent> no_model = db.store->SetAlias("nope", "production", 1, "alice", "");
  EXPECT_EQ(no_model.status().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(no_model.status().message(), "nope@1"));
  for (const std::string& bad : std::vector<std::string>{"123", "latest", "", "has space", "-x"}) {
    EXPECT_EQ(db.store->SetAlias("clf", bad, 1, "alice", "").status().code(), Code::kInvalid)
        << bad;
  }
  EXPECT_EQ(db.store->SetAlias("bad name", "production", 1, "alice", "").status().code(),
            Code::kInvalid);
  Result<AliasEvent> unset = db.store->RemoveAlias("clf", "staging", "alice", "");
  EXPECT_EQ(unset.status().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(unset.status().message(), "staging"));
  // None of the failures left a trace.
  EXPECT_TRUE(db.store->Aliases("clf")->empty());
  EXPECT_TRUE(db.store->AliasHistory("clf")->empty());
}

TEST_P(StoreConformanceTest, SecondStoreOnTheSameUrlSeesTheData) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  db.Add(Experiment("e1"), {Model("clf")});
  ASSERT_TRUE(db.store->SetAlias("clf", "production", 1, "alice", "").ok());
  std::unique_ptr<RegistryStore> other = OpenOrDie(db.url);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(*other->CountExperiments(), 1);
  EXPECT_EQ(other->GetModelVersion("clf", 1)->aliases, (std::vector<std::string>{"production"}));
  db.Add(Experiment("e2"), {Model("clf")});
  EXPECT_EQ(Versions(*other->ListModelVersions("clf")), (std::vector<int>{2, 1}));
}

TEST_P(StoreConformanceTest, ConcurrentWritersGetDistinctTagsAndVersions) {
  Fresh db;
  ASSERT_NE(db.store, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::vector<std::string>> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Result<std::unique_ptr<RegistryStore>> store = OpenRegistryStore(db.url);
      if (!store.ok()) {
        errors[t].push_back(store.status().ToString());
        return;
      }
      for (int i = 0; i < kPerThread; ++i) {
        // Every thread proposes the same tags, so suffixes must be allocated atomically.
        auto added = (*store)->AddExperiment(Experiment(fmt::format("run{}", i)), {Model("clf")});
        if (!added.ok())
          errors[t].push_back(added.status().ToString());
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_TRUE(errors[t].empty()) << "thread " << t;

  EXPECT_EQ(*db.store->CountExperiments(), kThreads * kPerThread);
  Result<std::vector<ExperimentRecord>> all = db.store->ListExperiments({});
  ASSERT_TRUE(all.ok());
  std::vector<std::string> tags = Tags(*all);
  EXPECT_EQ(std::set<std::string>(tags.begin(), tags.end()).size(), tags.size());
  Result<std::vector<ModelVersion>> versions = db.store->ListModelVersions("clf");
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  std::vector<int> numbers = Versions(*versions);
  std::vector<int> expected(kThreads * kPerThread);
  for (size_t i = 0; i < expected.size(); ++i)
    expected[i] = static_cast<int>(expected.size() - i);
  EXPECT_EQ(numbers, expected);
  std::set<int64_t> linked;
  for (const ModelVersion& version : *versions)
    linked.insert(version.experiment_id.value_or(-1));
  EXPECT_EQ(linked.size(), versions->size());
}

}  // namespace
}  // namespace conveyor
