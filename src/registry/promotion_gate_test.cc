#include "registry/promotion_gate.h"

#include <gtest/gtest.h>

#include <limits>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

TEST(ParseGateSpecTest, Table) {
  struct Row {
    const char* text;
    const char* file;
    const char* key;
    double min_delta;
  };
  for (const Row& row : std::initializer_list<Row>{
           {"accuracy", "", "accuracy", 0},
           {"accuracy:0.01", "", "accuracy", 0.01},
           {"accuracy:0", "", "accuracy", 0},
           {"accuracy:1e-3", "", "accuracy", 0.001},
           {"eval.f1", "", "eval.f1", 0},
           {"metrics.json:accuracy", "metrics.json", "accuracy", 0},
           {"metrics.json:accuracy:0.5", "metrics.json", "accuracy", 0.5},
           {"eval/scores.json:test.auc:2", "eval/scores.json", "test.auc", 2},
       }) {
    Result<GateSpec> spec = ParseGateSpec(row.text, false);
    ASSERT_TRUE(spec.ok()) << row.text << ": " << spec.status().message();
    EXPECT_EQ(spec->file, row.file) << row.text;
    EXPECT_EQ(spec->key, row.key) << row.text;
    EXPECT_DOUBLE_EQ(spec->min_delta, row.min_delta) << row.text;
    Result<GateSpec> again = ParseGateSpec(spec->ToString(), false);
    ASSERT_TRUE(again.ok()) << spec->ToString();
    EXPECT_EQ(again->file, spec->file) << "round trip of " << row.text;
    EXPECT_EQ(again->key, spec->key) << "round trip of " << row.text;
    EXPECT_EQ(again->min_delta, spec->min_delta) << "round trip of " << row.text;
  }
}

TEST(ParseGateSpecTest, RefusesWhatCannotBeAGate) {
  struct Row {
    const char* text;
    const char* says;
  };
  for (const Row& row : std::initializer_list<Row>{
           {"", "no metric named"},
           {":0.01", "no metric named"},
           {"accuracy:-0.01", "must be a finite number of 0 or more"},
           {"accuracy:nan", "must be a finite number"},
           {"accuracy:inf", "must be a finite number"},
           {":accuracy", "metrics file before ':' is empty"},
           {"metrics.json:", "no metric named"},
       }) {
    Result<GateSpec> spec = ParseGateSpec(row.text, false);
    ASSERT_FALSE(spec.ok()) << row.text;
    EXPECT_EQ(spec.status().code(), Code::kUsage) << row.text;
    EXPECT_NE(spec.status().message().find(row.says), std::string::npos)
        << row.text << ": " << spec.status().message();
    EXPECT_NE(spec.status().message().find(std::string("'") + row.text + "'"), std::string::npos)
        << "names the text: " << spec.status().message();
  }
}

TEST(FindMetricTest, Table) {
  Json metrics = Json::parse(R"({
    "metrics.json": {"accuracy": 0.94, "loss": 0.2, "name": "x", "ok": true},
    "eval/test.json": {"accuracy": 0.91, "f1": 0.8},
    "copy.json": {"f1": 0.8}
  })");
  struct Row {
    const char* spec;
    std::optional<double> value;
    const char* error;  // empty: no error
  };
  for (const Row& row : std::initializer_list<Row>{
           {"loss", 0.2, ""},
           {"f1", 0.8, ""},  // in two files, same value
           {"metrics.json:accuracy", 0.94, ""},
           {"eval/test.json:accuracy", 0.91, ""},
           {"recall", std::nullopt, ""},
           {"copy.json:loss", std::nullopt, ""},
           {"accuracy", std::nullopt, "is 0.94 in metrics.json and 0.91 in eval/test.json"},
           {"name", std::nullopt, "metric 'name' in metrics.json is \"x\", not a finite number"},
           {"ok", std::nullopt, "is true, not a finite number"},
       }) {
    Result<GateSpec> spec = ParseGateSpec(row.spec, false);
    ASSERT_TRUE(spec.ok());
    Result<std::optional<double>> found = FindMetric(metrics, *spec);
    if (*row.error != '\0') {
      ASSERT_FALSE(found.ok()) << row.spec;
      EXPECT_NE(found.status().message().find(row.error), std::string::npos)
          << row.spec << ": " << found.status().message();
      continue;
    }
    ASSERT_TRUE(found.ok()) << row.spec << ": " << found.status().message();
    EXPECT_EQ(*found, row.value) << row.spec;
  }
  // Several files and different values: the message shows how to choose.
  Result<std::optional<double>> ambiguous = FindMetric(metrics, *ParseGateSpec("accuracy", false));
  EXPECT_NE(ambiguous.status().message().find("--if-better metrics.json:accuracy"),
            std::string::npos);
}

TEST(DecidePromotionTest, Table) {
  struct Row {
    const char* spec;
    bool lower_is_better;
    Contender challenger;
    Contender champion;
    bool promote;
    const char* reason;
  };
  const std::optional<double> none;
  for (const Row& row : std::initializer_list<Row>{
           // Higher is better.
           {"accuracy",
            false,
            {3, 0.95, "c3"},
            {2, 0.94, "c2"},
            true,
            "accuracy 0.95 beats v2's 0.94 by 0.01 (higher is better)"},
           {"accuracy",
            false,
            {3, 0.94, ""},
            {2, 0.94, ""},
            false,
            "accuracy 0.94 ties with v2's 0.94"},
           {"accuracy",
            false,
            {3, 0.93, ""},
            {2, 0.94, ""},
            false,
            "accuracy 0.93 is worse than v2's 0.94 (higher is better)"},
           // The margin, including the rounding of 0.95 - 0.94.
           {"accuracy:0.01",
            false,
            {3, 0.95, ""},
            {2, 0.94, ""},
            true,
            "accuracy 0.95 beats v2's 0.94 by 0.01 (higher is better; needed 0.01)"},
           {"accuracy:0.02",
            false,
            {3, 0.95, ""},
            {2, 0.94, ""},
            false,
            "accuracy 0.95 beats v2's 0.94 by only 0.01, less than the 0.02 needed"},
           {"accuracy:0.02", false, {3, 0.93, ""}, {2, 0.94, ""}, false, "is worse than v2's 0.94"},
           // Scores over held-out rows print to six significant digits.
           {"accuracy",
            false,
            {3, 0.9198012775017743, ""},
            {2, 0.7054794520547946, ""},
            true,
            "accuracy 0.919801 beats v2's 0.705479 by 0.214322 (higher is better)"},
           // Lower is better.
           {"loss",
            true,
            {3, 0.18, ""},
            {2, 0.2, ""},
            true,
            "loss 0.18 beats v2's 0.2 by 0.02 (lower is better)"},
           {"loss",
            true,
            {3, 0.22, ""},
            {2, 0.2, ""},
            false,
            "loss 0.22 is worse than v2's 0.2 (lower is better)"},
           {"loss:0.05", true, {3, 0.18, ""}, {2, 0.2, ""}, false, "by only 0.02"},
           // Negative metrics and large values.
           {"score", false, {3, -1.5, ""}, {2, -2.0, ""}, true, "beats v2's -2 by 0.5"},
           {"count:1", false, {3, 1e9 + 1, ""}, {2, 1e9, ""}, true, "by 1 "},
           // Nobody holds the alias; the challenger already does.
           {"accuracy",
            false,
            {1, 0.5, ""},
            {0, none, ""},
            true,
            "accuracy 0.5; digits@production was not set"},
           {"accuracy",
            false,
            {2, 0.5, ""},
            {2, 0.5, ""},
            false,
            "v2 already holds digits@production"},
       }) {
    Result<GateSpec> spec = ParseGateSpec(row.spec, row.lower_is_better);
    ASSERT_TRUE(spec.ok());
    Result<GateDecision> decision =
        DecidePromotion(*spec, "digits", "production", row.challenger, row.champion);
    ASSERT_TRUE(decision.ok()) << row.spec << ": " << decision.status().message();
    EXPECT_EQ(decision->promote, row.promote) << row.spec << ": " << decision->reason;
    EXPECT_NE(decision->reason.find(row.reason), std::string::npos)
        << row.spec << ": " << decision->reason;
  }
}

TEST(DecidePromotionTest, ValuesThatCannotBeComparedAreErrors) {
  GateSpec spec = *ParseGateSpec("accuracy", false);
  Result<GateDecision> no_challenger =
      DecidePromotion(spec, "digits", "production", {3, std::nullopt, "a1b2c3d"}, {2, 0.9, ""});
  ASSERT_FALSE(no_challenger.ok());
  EXPECT_EQ(no_challenger.status().message(),
            "cannot compare on 'accuracy': digits v3 (experiment a1b2c3d) has no such metric");
  Result<GateDecision> no_champion =
      DecidePromotion(spec, "digits", "production", {3, 0.9, ""}, {2, std::nullopt, ""});
  ASSERT_FALSE(no_champion.ok());
  EXPECT_NE(no_champion.status().message().find(
                "digits v2, which holds digits@production, has no such metric"),
            std::string::npos)
      << no_champion.status().message();
  // Even with nobody holding the alias, a challenger without a value is not
  // promoted blindly.
  EXPECT_FALSE(
      DecidePromotion(spec, "digits", "production", {1, std::nullopt, ""}, {0, std::nullopt, ""})
          .ok());
}

}  // namespace
}  // namespace conveyor

namespace conveyor {
namespace {

// PromoteIfBetter against a real (SQLite) store.
class PromoteIfBetterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenRegistryStore("sqlite:" + (dir_ / "registry.db").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
  }

  // A run that produced the next version of "digits" with this accuracy.
  void Run(const std::string& tag, std::optional<double> accuracy) {
    ExperimentRecord record;
    record.tag = tag;
    record.started_at_ms = record.finished_at_ms = 1;
    if (accuracy.has_value())
      record.metrics["metrics.json"]["accuracy"] = *accuracy;
    NewModelVersion model{
        "digits",           "model", "0123456789abcdef0123456789abcd0" + tag.substr(1, 1),
        "model/model.yaml", "",      "ci"};
    ASSERT_TRUE(store_->AddExperiment(record, {model}).ok());
  }

  Result<PromotionOutcome> Promote(const std::string& ref, const std::string& gate) {
    return PromoteIfBetter(*store_, ref, "production", *ParseGateSpec(gate, false), "ci-bot",
                           "nightly");
  }

  testing::TempDir dir_;
  std::unique_ptr<RegistryStore> store_;
};

TEST_F(PromoteIfBetterTest, PromotesKeepsAndRecordsBoth) {
  Run("r1", 0.90);
  Run("r2", 0.95);
  Run("r3", 0.93);

  // Nobody holds production: the first gated promotion takes it.
  Result<PromotionOutcome> first = Promote("digits@r1", "accuracy");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(first->decision.promote);
  EXPECT_EQ(store_->Aliases("digits")->at("production"), 1);

  Result<PromotionOutcome> better = Promote("digits@r2", "accuracy:0.01");
  ASSERT_TRUE(better.ok()) << better.status().message();
  EXPECT_TRUE(better->decision.promote);
  EXPECT_EQ(better->champion.version, 1);
  EXPECT_EQ(*better->champion.value, 0.90);
  EXPECT_EQ(*better->challenger.value, 0.95);
  EXPECT_EQ(store_->Aliases("digits")->at("production"), 2);

  Result<PromotionOutcome> worse = Promote("digits@r3", "accuracy");
  ASSERT_TRUE(worse.ok()) << worse.status().message();
  EXPECT_FALSE(worse->decision.promote);
  EXPECT_EQ(store_->Aliases("digits")->at("production"), 2);

  // Already holding it: nothing to record.
  ASSERT_TRUE(Promote("digits@2", "accuracy").ok());

  Result<std::vector<AliasEvent>> history = store_->AliasHistory("digits");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[1].previous_version, 1);
  EXPECT_EQ((*history)[1].version, 2);
  EXPECT_EQ((*history)[1].actor, "ci-bot");
  EXPECT_EQ((*history)[1].reason,
            "promoted: accuracy 0.95 beats v1's 0.9 by 0.05 (higher is better; needed 0.01) "
            "(--if-better accuracy:0.01): nightly");
  // The refusal stays in the history with both values, alias unmoved.
  EXPECT_EQ((*history)[2].version, 2);
  EXPECT_EQ((*history)[2].previous_version, 2);
  EXPECT_NE((*history)[2].reason.find("kept over v3: accuracy 0.93 is worse than v2's 0.95"),
            std::string::npos)
      << (*history)[2].reason;
}

TEST_F(PromoteIfBetterTest, ErrorsChangeNothing) {
  Run("r1", 0.90);
  Run("r2", std::nullopt);  // its run wrote no metrics
  ASSERT_TRUE(store_->SetAlias("digits", "production", 1, "alice", "").ok());

  Result<PromotionOutcome> no_value = Promote("digits@r2", "accuracy");
  ASSERT_FALSE(no_value.ok());
  EXPECT_EQ(no_value.status().code(), Code::kInvalid);
  EXPECT_NE(no_value.status().message().find("digits v2 (experiment r2) has no such metric"),
            std::string::npos)
      << no_value.status().message();
  EXPECT_EQ(Promote("digits@9", "accuracy").status().code(), Code::kNotFound);
  EXPECT_EQ(
      PromoteIfBetter(*store_, "digits@r1", "../prod", *ParseGateSpec("accuracy", false), "x", "")
          .status()
          .code(),
      Code::kInvalid);
  EXPECT_EQ(store_->AliasHistory("digits")->size(), 1u);
  EXPECT_EQ(store_->Aliases("digits")->at("production"), 1);
}

// With a scorer, both versions' values come from scoring them (the same
// data for both), not from their experiments: even a version whose run
// wrote no metrics can be judged, and a scoring failure changes nothing.
TEST_F(PromoteIfBetterTest, AScorerJudgesBothVersionsOnTheSameData) {
  Run("r1", 0.99);          // its own test split flattered it
  Run("r2", std::nullopt);  // no metrics at all
  ASSERT_TRUE(store_->SetAlias("digits", "production", 1, "alice", "").ok());
  std::vector<int> scored;
  VersionScorer scorer{.source = "holdout.samples (300 rows)",
                       .score = [&](const ModelVersion& version) -> Result<double> {
                         scored.push_back(version.version);
                         return version.version == 1 ? 0.03 : 0.91;
                       }};
  Result<PromotionOutcome> outcome =
      PromoteIfBetter(*store_, "digits@r2", "production", *ParseGateSpec("accuracy:0.1", false),
                      "ci-bot", "", &scorer);
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(scored, (std::vector<int>{2, 1}));
  EXPECT_TRUE(outcome->decision.promote);
  EXPECT_EQ(*outcome->champion.value, 0.03);
  EXPECT_EQ(store_->Aliases("digits")->at("production"), 2);
  EXPECT_EQ(store_->AliasHistory("digits")->back().reason,
            "promoted: accuracy 0.91 beats v1's 0.03 by 0.88 (higher is better; needed 0.1) "
            "(--if-better accuracy:0.1, both scored on holdout.samples (300 rows))");

  VersionScorer failing{.source = "bad.csv", .score = [](const ModelVersion&) -> Result<double> {
                          return Error(Code::kInvalid, "bad.csv:3: not a number");
                        }};
  Result<PromotionOutcome> failed = PromoteIfBetter(
      *store_, "digits@1", "production", *ParseGateSpec("accuracy", false), "ci-bot", "", &failing);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "scoring digits v1 on bad.csv: bad.csv:3: not a number");
  EXPECT_EQ(store_->Aliases("digits")->at("production"), 2);
  EXPECT_EQ(store_->AliasHistory("digits")->size(), 2u);
}

}  // namespace
}  // namespace conveyor
