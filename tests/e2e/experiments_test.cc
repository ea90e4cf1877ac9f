// End-to-end: every `repro` that changes something becomes an experiment;
// `exp run -S`, `exp show/diff/remove`; declared models become versions in
// the registry; `model promote/demote/show/list`. Against SQLite (the
// default) and a real PostgreSQL server started by the test.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/md5.h"
#include "testing/cli_runner.h"
#include "testing/postgres_server.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;
using testing::WriteFile;

constexpr char kGit[] = "git -c user.name=Ada -c user.email=ada@example.com ";

// A two-stage pipeline: `train` writes model/weights.txt from params,
// `evaluate` writes metrics.json computed from the same param.
class ExperimentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Shell(dir_.path(), "git init -q -b main ."), 0);
    ASSERT_EQ(RunConveyor(dir_.path(), "init").exit_code, 0);
    WriteFile(dir_ / "params.yaml", "train:\n  depth: 4  # tree depth\n  lr: 0.5\n");
    WriteFile(dir_ / "dvc.yaml",
              "stages:\n"
              "  train:\n"
              "    cmd: mkdir -p model && echo depth=${train.depth} > model/weights.txt\n"
              "    params: [train.depth, train.lr]\n"
              "    outs: [model]\n"
              "  evaluate:\n"
              "    cmd: >-\n"
              "      echo '{\"accuracy\": 0.${train.depth}, \"note\": \"ok\"}' > metrics.json\n"
              "    deps: [model]\n"
              "    params: [train.depth]\n"
              "    metrics:\n"
              "    - metrics.json:\n"
              "        cache: false\n");
    WriteFile(dir_ / "conveyor.yaml",
              "models:\n  tiny:\n    path: model\n    description: a test model\n");
    ASSERT_EQ(Shell(dir_.path(), std::string(kGit) + "add -A && " + kGit + "commit -qm start"), 0);
  }

  Json JsonOf(const std::string& args) {
    auto result = RunConveyor(dir_.path(), args, env_);
    EXPECT_EQ(result.exit_code, 0) << args << ": " << result.err;
    return Json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  }

  testing::TempDir dir_;
  std::string env_ = "CONVEYOR_USER=ada ";
};

TEST_F(ExperimentsTest, AnInvalidNameIsRefusedBeforeTheRun) {
  auto named = RunConveyor(dir_.path(), "exp run -n feature/x", env_);
  EXPECT_EQ(named.exit_code, 2) << named.err;
  EXPECT_NE(named.err.find("-n: invalid experiment tag 'feature/x'"), std::string::npos)
      << named.err;
  EXPECT_EQ(named.err.find("Running stage"), std::string::npos) << "nothing ran";
}

TEST_F(ExperimentsTest, ReproRecordsAnExperimentWithLineageAndAModelVersion) {
  auto repro = RunConveyor(dir_.path(), "repro", env_);
  ASSERT_EQ(repro.exit_code, 0) << repro.err;
  EXPECT_NE(repro.out.find("recorded (succeeded); registered tiny v1."), std::string::npos)
      << repro.out;

  Json experiments = JsonOf("exp show --json");
  ASSERT_EQ(experiments.size(), 1u);
  const Json& exp = experiments[0];
  std::string head = testing::ReadFile(dir_ / ".git/refs/heads/main");
  EXPECT_EQ(exp["commit"], head.substr(0, 40));
  EXPECT_EQ(exp["tag"], head.substr(0, 7));
  EXPECT_EQ(exp["branch"], "main");
  EXPECT_EQ(exp["author"], "Ada <ada@example.com>");
  EXPECT_EQ(exp["dirty"], false);  // dvc.lock written by the run itself does not count
  EXPECT_EQ(exp["status"], "succeeded");
  EXPECT_EQ(exp["params"], Json::parse(R"({"params.yaml": {"train.depth": 4, "train.lr": 0.5}})"));
  EXPECT_EQ(exp["metrics"], Json::parse(R"({"metrics.json": {"accuracy": 0.4, "note": "ok"}})"));
  bool model_out = false;
  for (const Json& entry : exp["lineage"]) {
    if (entry["stage"] == "train" && entry["role"] == "out" && entry["path"] == "model") {
      model_out = true;
      EXPECT_EQ(entry["nfiles"], 1);
      EXPECT_TRUE(entry["md5"].get<std::string>().ends_with(".dir"));
    }
  }
  EXPECT_TRUE(model_out) << exp["lineage"].dump();

  Json models = JsonOf("model list --json");
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0]["model"], "tiny");
  EXPECT_EQ(models[0]["latest"]["version"], 1);
  EXPECT_EQ(models[0]["latest"]["experiment_tag"], exp["tag"]);
  EXPECT_EQ(models[0]["latest"]["spec_path"], "model/model.yaml");
  EXPECT_EQ(models[0]["latest"]["created_by"], "ada");

  // Nothing changed: nothing is recorded.
  auto again = RunConveyor(dir_.path(), "repro", env_);
  EXPECT_EQ(again.out, "Data and pipelines are up to date.\n");
  EXPECT_EQ(JsonOf("exp show --json").size(), 1u);
}

TEST_F(ExperimentsTest, ExpRunSetsParamsAndExperimentsCompare) {
  ASSERT_EQ(RunConveyor(dir_.path(), "repro", env_).exit_code, 0);
  auto run = RunConveyor(dir_.path(), "exp run -S train.depth=7 -n deeper", env_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("Experiment deeper (uncommitted changes) recorded (succeeded); "
                         "registered tiny v2."),
            std::string::npos)
      << run.out;
  EXPECT_EQ(ReadFile(dir_ / "params.yaml"), "train:\n  depth: 7  # tree depth\n  lr: 0.5\n");

  auto show = RunConveyor(dir_.path(), "exp show --only-changed --sort-by accuracy --csv", env_);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("Experiment,Created,Status,accuracy,train.depth\r\ndeeper*,"),
            std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find(",succeeded,0.7,7\r\n"), std::string::npos) << show.out;

  Json first = JsonOf("exp show --json")[1];
  Json diff = JsonOf("exp diff " + first["tag"].get<std::string>() + " deeper --json");
  EXPECT_EQ(diff["metrics"]["metrics.json"]["accuracy"]["old"], 0.4);
  EXPECT_EQ(diff["metrics"]["metrics.json"]["accuracy"]["new"], 0.7);
  EXPECT_EQ(diff["params"]["params.yaml"]["train.depth"]["new"], 7);

  auto bad_name = RunConveyor(dir_.path(), "exp run -S train.depth=8 -n deeper", env_);
  EXPECT_EQ(bad_name.exit_code, 1);
  EXPECT_NE(bad_name.err.find("deeper"), std::string::npos) << bad_name.err;

  auto removed = RunConveyor(dir_.path(), "exp remove deeper", env_);
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  // Its model version stays, no longer linked.
  Json versions = JsonOf("model list tiny --json");
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_TRUE(versions[0]["experiment_tag"].is_null());
  EXPECT_EQ(RunConveyor(dir_.path(), "exp remove nope", env_).exit_code, 1);
}

TEST_F(ExperimentsTest, AliasesMoveWithHistoryAndResolveByTag) {
  ASSERT_EQ(RunConveyor(dir_.path(), "repro", env_).exit_code, 0);
  ASSERT_EQ(RunConveyor(dir_.path(), "exp run -S train.depth=6 -n six", env_).exit_code, 0);
  auto promote = RunConveyor(dir_.path(), "model promote tiny@1 production --reason first", env_);
  ASSERT_EQ(promote.exit_code, 0) << promote.err;
  EXPECT_EQ(promote.out, "tiny@production: v1\n");
  auto move = RunConveyor(dir_.path(), "model promote tiny@six production", env_);
  ASSERT_EQ(move.exit_code, 0) << move.err;
  EXPECT_EQ(move.out, "tiny@production: v1 -> v2\n");

  Json shown = JsonOf("model show tiny@production --json");
  EXPECT_EQ(shown["version"], 2);
  EXPECT_EQ(shown["experiment_tag"], "six");
  EXPECT_EQ(shown["aliases"], Json::parse(R"(["production"])"));
  ASSERT_EQ(shown["alias_history"].size(), 2u);
  EXPECT_EQ(shown["alias_history"][0]["reason"], "first");
  EXPECT_EQ(shown["alias_history"][1]["previous_version"], 1);
  EXPECT_EQ(shown["alias_history"][1]["actor"], "ada");

  auto missing = RunConveyor(dir_.path(), "model promote tiny@9 production", env_);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("tiny@9"), std::string::npos) << missing.err;
  auto typo = RunConveyor(dir_.path(), "model show tiyn", env_);
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.err.find("did you mean 'tiny'"), std::string::npos) << typo.err;

  auto demote = RunConveyor(dir_.path(), "model demote tiny production", env_);
  ASSERT_EQ(demote.exit_code, 0) << demote.err;
  EXPECT_EQ(demote.out, "tiny@production removed (was v2)\n");
  EXPECT_EQ(RunConveyor(dir_.path(), "model demote tiny production", env_).exit_code, 1);
}

TEST_F(ExperimentsTest, AFailedRunIsRecordedAsFailedWithoutAModelVersion) {
  WriteFile(dir_ / "dvc.yaml", ReadFile(dir_ / "dvc.yaml") +
                                   "  broken:\n    cmd: exit 3\n"
                                   "    deps: [metrics.json]\n");
  auto repro = RunConveyor(dir_.path(), "repro", env_);
  EXPECT_EQ(repro.exit_code, 1);
  EXPECT_NE(repro.out.find("recorded (failed)"), std::string::npos) << repro.out;
  Json experiments = JsonOf("exp show --json");
  ASSERT_EQ(experiments.size(), 1u);
  EXPECT_EQ(experiments[0]["status"], "failed");
  EXPECT_NE(experiments[0]["message"].get<std::string>().find("broken"), std::string::npos);
  EXPECT_EQ(JsonOf("model list --json").size(), 0u);
}

TEST_F(ExperimentsTest, BadConveyorYamlStopsBeforeAnythingRuns) {
  WriteFile(dir_ / "conveyor.yaml", "models:\n  tiny:\n    pth: model\n");
  auto repro = RunConveyor(dir_.path(), "repro", env_);
  EXPECT_EQ(repro.exit_code, 1);
  EXPECT_EQ(repro.err,
            "conveyor: error: conveyor.yaml:3:5: unknown key 'pth' in model 'tiny' (did you mean "
            "'path'?)\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "dvc.lock"));

  WriteFile(dir_ / "conveyor.yaml", "models:\n  tiny:\n    path: modl\n");
  auto wrong_path = RunConveyor(dir_.path(), "repro", env_);
  EXPECT_EQ(wrong_path.exit_code, 1);
  EXPECT_NE(wrong_path.err.find("conveyor.yaml:2:3: model 'tiny': 'modl' is not an output of "
                                "any stage that has run (did you mean 'model'?)"),
            std::string::npos)
      << wrong_path.err;
}

// gc keeps what a registered version needs even when the workspace has
// moved on, so `serve -m tiny@1` keeps working; --no-registry drops the rule.
TEST_F(ExperimentsTest, GcKeepsRegisteredModelVersions) {
  ASSERT_EQ(RunConveyor(dir_.path(), "repro", env_).exit_code, 0);
  ASSERT_EQ(RunConveyor(dir_.path(), "exp run -S train.depth=7", env_).exit_code, 0);
  // v1's directory listing and its one file (weights.txt: "depth=4\n").
  std::string listing = JsonOf("model show tiny@1 --json")["md5"].get<std::string>();
  ASSERT_EQ(listing.size(), 36u) << listing;
  auto object = [&](const std::string& md5) {
    return dir_ / ".dvc/cache/files/md5" / md5.substr(0, 2) / md5.substr(2);
  };
  const fs::path v1_dir = object(listing);
  const fs::path v1_weights = object(Md5Hex("depth=4\n"));
  ASSERT_TRUE(fs::exists(v1_dir) && fs::exists(v1_weights));

  auto kept = RunConveyor(dir_.path(), "gc -w -f", env_);
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_NE(kept.out.find("used by workspace, registered models."), std::string::npos) << kept.out;
  Json nothing = JsonOf("gc -w --json");  // nothing to remove: no question asked
  EXPECT_EQ(nothing["removed"], 0);
  EXPECT_EQ(nothing["kept_for"], Json::parse(R"(["workspace", "registered models"])"));
  EXPECT_TRUE(fs::exists(v1_dir) && fs::exists(v1_weights));

  // Without the registry gc cannot know what is registered, so it stops.
  fs::rename(dir_ / ".conveyor/registry.db", dir_ / "registry.db.away");
  auto lost = RunConveyor(dir_.path(), "gc -w -f", env_);
  EXPECT_EQ(lost.exit_code, 1);
  EXPECT_NE(lost.err.find("registry.db is missing"), std::string::npos) << lost.err;
  EXPECT_NE(lost.err.find("; to keep only what the scope uses, run gc with --no-registry instead"),
            std::string::npos)
      << lost.err;
  EXPECT_EQ(RunConveyor(dir_.path(), "gc", env_).exit_code, 2);  // the scope is checked first
  // A registry named anywhere that is not there: a typo is not "nothing
  // registered".
  auto typo = RunConveyor(dir_.path(), "gc -w -f --registry sqlite:nowhere.db", env_);
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.err.find("nowhere.db (named by --registry) does not exist"), std::string::npos)
      << typo.err;
  auto unset = RunConveyor(dir_.path(), "gc -w -f", env_ + "CONVEYOR_REGISTRY=sqlite:unset.db ");
  EXPECT_EQ(unset.exit_code, 1);
  EXPECT_NE(unset.err.find("unset.db (named by CONVEYOR_REGISTRY) does not exist"),
            std::string::npos)
      << unset.err;
  EXPECT_FALSE(fs::exists(dir_ / "nowhere.db"));
  EXPECT_FALSE(fs::exists(dir_ / "unset.db"));
  EXPECT_TRUE(fs::exists(v1_dir) && fs::exists(v1_weights));

  // Named explicitly, the database elsewhere still protects v1.
  auto named = RunConveyor(dir_.path(), "gc -w -f --registry sqlite:registry.db.away", env_);
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_TRUE(fs::exists(v1_dir) && fs::exists(v1_weights));

  Json preview = JsonOf("gc -w --dry --json --no-registry");
  EXPECT_EQ(preview["dry"], true);
  EXPECT_EQ(preview["removed"], 2);
  EXPECT_EQ(preview["kept_for"], Json::parse(R"(["workspace"])"));
  EXPECT_TRUE(fs::exists(v1_dir) && fs::exists(v1_weights));
  auto dropped = RunConveyor(dir_.path(), "gc -w -f --no-registry", env_);
  ASSERT_EQ(dropped.exit_code, 0) << dropped.err;
  EXPECT_EQ(dropped.out.rfind("Removed 2 objects", 0), 0u) << dropped.out;
  EXPECT_FALSE(fs::exists(v1_dir));
  EXPECT_FALSE(fs::exists(v1_weights));
}

TEST_F(ExperimentsTest, ANewerRegistrySchemaIsRefusedWithoutChange) {
  ASSERT_EQ(RunConveyor(dir_.path(), "repro", env_).exit_code, 0);
  ASSERT_EQ(Shell(dir_.path(),
                  "/usr/bin/python3 -c \"import sqlite3; c=sqlite3.connect("
                  "'.conveyor/registry.db'); c.execute('update schema_version set "
                  "version=99'); c.commit()\""),
            0);
  auto show = RunConveyor(dir_.path(), "exp show", env_);
  EXPECT_EQ(show.exit_code, 1);
  EXPECT_NE(show.err.find("99"), std::string::npos) << show.err;
}

TEST_F(ExperimentsTest, APostgresRegistryIsSharedThroughTheEnvironment) {
  std::string url = testing::SharedPostgresServer().CreateDatabase();
  env_ += "CONVEYOR_REGISTRY=" + url + " ";
  ASSERT_EQ(RunConveyor(dir_.path(), "repro", env_).exit_code, 0);
  ASSERT_EQ(RunConveyor(dir_.path(), "exp run -S train.depth=5 -n five", env_).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".conveyor/registry.db"));
  // A second checkout of nothing but the URL sees the same records.
  testing::TempDir other;
  ASSERT_EQ(
      Shell(other.path(), "git init -q . && " + std::string(kGit) + "commit -q --allow-empty -m x"),
      0);
  ASSERT_EQ(RunConveyor(other.path(), "init").exit_code, 0);
  Json experiments = Json::parse(RunConveyor(other.path(), "exp show --json", env_).out);
  ASSERT_EQ(experiments.size(), 2u);
  EXPECT_EQ(experiments[0]["tag"], "five");
  auto shown = RunConveyor(other.path(), "model show tiny@five", env_);
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("Model:       tiny v2"), std::string::npos) << shown.out;
}

}  // namespace
}  // namespace conveyor
