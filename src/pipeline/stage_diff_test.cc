#include "pipeline/stage_diff.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

HashInfo File(std::string md5) { return HashInfo{std::move(md5), 10, std::nullopt}; }

Stage TrainStage() {
  Stage stage;
  stage.name = "train";
  stage.cmd = {"python train.py"};
  stage.deps = {"data.csv", "train.py"};
  stage.outs = {OutSpec{"model.bin"}};
  return stage;
}

LockedStage TrainLock() {
  LockedStage locked;
  locked.name = "train";
  locked.cmd = {"python train.py"};
  locked.deps = {{"data.csv", File("aaa")}, {"train.py", File("bbb")}};
  locked.params = {{"params.yaml", Json{{"lr", 0.1}, {"epochs", 3}}}};
  locked.outs = {{"model.bin", File("ccc")}};
  return locked;
}

Observation Unchanged() {
  Observation now;
  now.deps = {{"data.csv", File("aaa")}, {"train.py", File("bbb")}};
  now.params = {{"params.yaml", Json{{"lr", 0.1}, {"epochs", 3}}}};
  now.outs = {{"model.bin", File("ccc")}};
  return now;
}

TEST(DiffStageTest, UpToDateStageHasNoChanges) {
  Stage stage = TrainStage();
  LockedStage locked = TrainLock();
  EXPECT_TRUE(DiffStage(stage, &locked, Unchanged()).empty());
}

TEST(DiffStageTest, MissingLockEntryMeansNeverRan) {
  EXPECT_EQ(DiffStage(TrainStage(), nullptr, Unchanged()),
            (std::vector<Change>{{ChangeKind::kNeverRan, "train", ""}}));
}

struct Case {
  const char* name;
  std::function<void(Stage&, LockedStage&, Observation&)> edit;
  std::vector<Change> expected;
};

TEST(DiffStageTest, ReportsEachKindOfChangeInDvcOrder) {
  const std::vector<Case> cases = {
      {"command",
       [](Stage& s, LockedStage&, Observation&) { s.cmd = {"python train.py -v"}; },
       {{ChangeKind::kCommand, "train", ""}}},
      {"command form list vs string is not a change",
       [](Stage& s, LockedStage&, Observation&) { s.cmd_is_list = true; },
       {}},
      {"dep modified",
       [](Stage&, LockedStage&, Observation& o) { o.deps[0].hash = File("zzz"); },
       {{ChangeKind::kDepModified, "data.csv", ""}}},
      {"dep deleted",
       [](Stage&, LockedStage&, Observation& o) { o.deps[1].hash.reset(); },
       {{ChangeKind::kDepDeleted, "train.py", ""}}},
      {"dep new",
       [](Stage& s, LockedStage&, Observation& o) {
         s.deps.push_back("extra.txt");
         o.deps.push_back({"extra.txt", File("eee")});
       },
       {{ChangeKind::kDepNew, "extra.txt", ""}}},
      {"param modified",
       [](Stage&, LockedStage&, Observation& o) { o.params[0].values["lr"] = 0.2; },
       {{ChangeKind::kParamModified, "params.yaml:lr", "0.1 -> 0.2"}}},
      {"param deleted and new",
       [](Stage&, LockedStage&, Observation& o) {
         o.params[0].values.erase("epochs");
         o.params[0].values["seed"] = 7;
       },
       {{ChangeKind::kParamNew, "params.yaml:seed", "7"},
        {ChangeKind::kParamDeleted, "params.yaml:epochs", ""}}},
      {"int 3 equals float 3.0",
       [](Stage&, LockedStage&, Observation& o) { o.params[0].values["epochs"] = 3.0; },
       {}},
      {"out deleted",
       [](Stage&, LockedStage&, Observation& o) { o.outs[0].hash.reset(); },
       {{ChangeKind::kOutDeleted, "model.bin", ""}}},
      {"out modified",
       [](Stage&, LockedStage&, Observation& o) { o.outs[0].hash = File("x"); },
       {{ChangeKind::kOutModified, "model.bin", ""}}},
      {"out not in cache",
       [](Stage&, LockedStage&, Observation& o) { o.outs[0].in_cache = false; },
       {{ChangeKind::kOutNotInCache, "model.bin", ""}}},
      {"uncached out missing from cache is fine",
       [](Stage& s, LockedStage&, Observation& o) {
         s.outs[0].cache = false;
         o.outs[0].in_cache = false;
       },
       {}},
      {"always_changed",
       [](Stage& s, LockedStage&, Observation&) { s.always_changed = true; },
       {{ChangeKind::kAlwaysChanged, "train", ""}}},
      {"frozen ignores deps but not outs",
       [](Stage& s, LockedStage&, Observation& o) {
         s.frozen = true;
         o.deps[0].hash = File("zzz");
         o.params[0].values["lr"] = 9;
         o.outs[0].hash.reset();
       },
       {{ChangeKind::kOutDeleted, "model.bin", ""}}},
      {"command, deps and outs in that order",
       [](Stage& s, LockedStage&, Observation& o) {
         o.outs[0].hash.reset();
         o.deps[0].hash = File("zzz");
         s.cmd = {"other"};
       },
       {{ChangeKind::kCommand, "train", ""},
        {ChangeKind::kDepModified, "data.csv", ""},
        {ChangeKind::kOutDeleted, "model.bin", ""}}},
      {"DVC 2 entry matches through its legacy digest",
       [](Stage&, LockedStage& l, Observation& o) {
         l.deps[0].has_hash_field = false;
         l.deps[0].hash.md5 = "legacy";
         o.deps[0].legacy_md5 = "legacy";
       },
       {}},
  };
  for (const Case& c : cases) {
    Stage stage = TrainStage();
    LockedStage locked = TrainLock();
    Observation now = Unchanged();
    c.edit(stage, locked, now);
    EXPECT_EQ(DiffStage(stage, &locked, now), c.expected) << c.name;
  }
}

TEST(DiffStageTest, StageWithNeitherDepsNorOutsAlwaysRuns) {
  Stage stage;
  stage.name = "notify";
  stage.cmd = {"echo done"};
  LockedStage locked;
  locked.name = "notify";
  locked.cmd = {"echo done"};
  EXPECT_EQ(DiffStage(stage, &locked, Observation{}),
            (std::vector<Change>{{ChangeKind::kAlwaysChanged, "notify", ""}}));
}

TEST(ChangeTest, Labels) {
  EXPECT_EQ((Change{ChangeKind::kOutNotInCache, "", ""}).Label(), "not in cache");
  EXPECT_EQ((Change{ChangeKind::kCommand, "", ""}).Label(), "changed command");
}

}  // namespace
}  // namespace conveyor
