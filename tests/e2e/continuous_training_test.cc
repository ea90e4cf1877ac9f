// Issue 10, end to end on the digits example: `model promote --if-better`
// decides on the experiments' real metrics and records its decision, and
// replicas started with `-m digits@production` follow the alias by
// themselves, with no failed request while they swap.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ml/samples.h"
#include "testing/alert_payload.h"
#include "testing/postgres_server.h"
#include "testing/serve_process.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::ReadFile;

// The digits example trained (digits v1), then retrained shallower with
// `exp run` (digits v2), in a Git project.
class ContinuousTrainingTest : public testing::TrainedDigitsTest {
 protected:
  void SetUp() override {
    TrainedDigitsTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    auto run = Run("exp run -S train.max_depth=2 -S train.n_estimators=5 -n shallow");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto versions = Json::parse(Run("model list digits --json").out, nullptr, false);
    ASSERT_TRUE(versions.is_array() && versions.size() == 2) << versions.dump();
  }

  testing::CliResult Run(const std::string& args) {
    return testing::RunConveyor(dir_.path(), args, env_);
  }

  // accuracy of the experiment that produced digits vN.
  double Accuracy(int version) {
    Json shown = Json::parse(Run("model show digits@" + std::to_string(version) + " --json").out,
                             nullptr, false);
    std::string tag = shown.value("experiment_tag", "");
    Json exp = Json::parse(Run("exp show --json").out, nullptr, false);
    for (const Json& row : exp) {
      if (row.value("tag", "") == tag)
        return row["metrics"]["metrics.json"]["accuracy"].get<double>();
    }
    ADD_FAILURE() << "no experiment " << tag << " in " << exp.dump();
    return 0;
  }

  int Production() {
    Json shown = Json::parse(Run("model show digits@production --json").out, nullptr, false);
    return shown.value("version", 0);
  }
};

TEST_F(ContinuousTrainingTest, PromoteIfBetterDecidesOnTheRealMetricsAndRecordsIt) {
  double v1 = Accuracy(1);
  double v2 = Accuracy(2);
  ASSERT_FALSE(HasFailure());
  ASSERT_NE(v1, v2) << "the shallow model should score differently";
  ASSERT_EQ(Run("model promote digits@1 production").exit_code, 0);

  // Whichever is better on accuracy wins; flipping the direction flips it.
  int better = v2 > v1 ? 2 : 1;
  auto gated = Run("model promote digits@shallow production --if-better accuracy --json");
  ASSERT_EQ(gated.exit_code, 0) << gated.err;
  Json outcome = Json::parse(gated.out, nullptr, false);
  EXPECT_EQ(outcome["decision"], better == 2 ? "promoted" : "kept") << gated.out;
  EXPECT_DOUBLE_EQ(outcome["challenger"]["value"].get<double>(), v2);
  EXPECT_DOUBLE_EQ(outcome["champion"]["value"].get<double>(), v1);
  EXPECT_EQ(outcome["champion"]["version"], 1);
  EXPECT_EQ(Production(), better);

  // Back to v1, then the opposite direction gives the opposite decision.
  ASSERT_EQ(Run("model promote digits@1 production").exit_code, 0);
  auto flipped = Run("model promote digits@2 production --if-better accuracy --lower-is-better");
  ASSERT_EQ(flipped.exit_code, 0) << flipped.err;
  EXPECT_EQ(Production(), better == 2 ? 1 : 2) << flipped.out;

  // A margin larger than the difference always keeps the champion.
  ASSERT_EQ(Run("model promote digits@1 production").exit_code, 0);
  auto margin = Run("model promote digits@2 production --if-better accuracy:1");
  ASSERT_EQ(margin.exit_code, 0) << margin.err;
  EXPECT_NE(margin.out.find("digits@production: kept v1, not v2"), std::string::npos) << margin.out;
  EXPECT_EQ(Production(), 1);

  // Every decision is in the history, with both values.
  Json history = Json::parse(Run("model show digits@1 --json").out, nullptr, false);
  std::string text = history.dump();
  EXPECT_NE(text.find("kept over v2"), std::string::npos) << text;
  EXPECT_NE(text.find("--if-better accuracy:1"), std::string::npos) << text;

  // Errors: an unknown metric names both the version and the metric; bad
  // margins are usage errors; nothing moves.
  auto unknown = Run("model promote digits@2 production --if-better recall");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("cannot compare on 'recall': digits v2 (experiment shallow) has no "
                             "such metric"),
            std::string::npos)
      << unknown.err;
  auto negative = Run("model promote digits@2 production --if-better accuracy:-1");
  EXPECT_EQ(negative.exit_code, 2) << negative.err;
  auto stray = Run("model promote digits@2 production --lower-is-better");
  EXPECT_EQ(stray.exit_code, 2) << stray.err;
  EXPECT_EQ(Production(), 1);
}

using testing::PredictLoop;
using testing::VersionsSeen;

TEST_F(ContinuousTrainingTest, ReplicasFollowTheAliasWithNoFailedRequest) {
  constexpr int kRequests = 300;
  ASSERT_EQ(Run("model promote digits@1 production").exit_code, 0);
  testing::ServeProcess first(dir_.path());
  first.Start("--no-auth --threads 2 -m digits@production --follow-interval 0.2");
  ASSERT_FALSE(HasFatalFailure());
  // The second replica is another checkout with its own cache, sharing the
  // first one's registry, as replicas on two machines would share one.
  fs::path other = dir_ / "replica2";
  ASSERT_EQ(testing::Shell(dir_.path(),
                           "mkdir replica2 && tar --exclude=./replica2 "
                           "--exclude=./serve.* --exclude=./pid -cf - . | "
                           "tar -xf - -C replica2"),
            0);
  testing::ServeProcess second(other);
  second.Start("--no-auth --threads 2 -m digits@production --follow-interval 0.2 --registry " +
               (dir_ / ".conveyor/registry.db").string());
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(first.Curl("-F file=@sample.png " + first.url() + "/predict").first["model"]["version"],
            1);

  // Requests keep coming while production moves to v2.
  ASSERT_EQ(testing::Shell(dir_.path(), PredictLoop(first.url(), kRequests, "codes1")), 0);
  ASSERT_EQ(testing::Shell(other, PredictLoop(second.url(), kRequests, "codes2")), 0);
  // Each loop has been answered by v1 before production moves.
  ASSERT_TRUE(testing::WaitUntil(std::chrono::milliseconds(20000), [&] {
    return testing::LastVersionAnswered(dir_ / "codes1") == 1 &&
           testing::LastVersionAnswered(other / "codes2") == 1;
  }));
  ASSERT_EQ(Run("model promote digits@2 production --reason 'follow test'").exit_code, 0);
  bool both = false;
  for (int i = 0; i < testing::ScaledCount(100) && !both; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    both =
        first.Curl("-F file=@sample.png " + first.url() + "/predict").first["model"]["version"] ==
            2 &&
        second.Curl("-F file=@sample.png " + second.url() + "/predict").first["model"]["version"] ==
            2;
  }
  EXPECT_TRUE(both) << ReadFile(dir_ / "serve.err") << ReadFile(other / "serve.err");
  // Wait for the loops (bounded: kRequests each, 10 s per request at most).
  testing::WaitUntil(
      std::chrono::milliseconds(90000),
      [&] {
        return testing::PredictLoopEnded(dir_ / "codes1") &&
               testing::PredictLoopEnded(other / "codes2");
      },
      std::chrono::milliseconds(100));
  // Each replica answered every request, first from v1, then from v2: the
  // swap happened under load.
  for (const fs::path& codes : {dir_ / "codes1", other / "codes2"})
    EXPECT_EQ(VersionsSeen(codes, kRequests), (std::vector<int>{1, 2})) << codes;
  std::string log = ReadFile(dir_ / "serve.err");
  EXPECT_NE(log.find("Following digits@production: checking the registry every 0.2 s"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("digits@production moved to v2 (serving v1): swapping"), std::string::npos)
      << log;
  EXPECT_EQ(first.Stop(), "0\n");
  EXPECT_EQ(second.Stop(), "0\n");
}

TEST_F(ContinuousTrainingTest, NoFollowAndTagsStayPut) {
  ASSERT_EQ(Run("model promote digits@1 production").exit_code, 0);
  testing::ServeProcess pinned(dir_.path());
  pinned.Start("--no-auth -m digits@production --no-follow --follow-interval 0.1");
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(Run("model promote digits@2 production").exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(
      pinned.Curl("-F file=@sample.png " + pinned.url() + "/predict").first["model"]["version"], 1);
  EXPECT_EQ(pinned.Stop(), "0\n");
  EXPECT_EQ(ReadFile(dir_ / "serve.err").find("Following"), std::string::npos);
}

}  // namespace
}  // namespace conveyor

namespace conveyor {
namespace {

// The prediction log closes the loop's data side: inverted live inputs with
// the labels a client sent back become samples the next pipeline run
// trains on.
TEST_F(ContinuousTrainingTest, LoggedPredictionsWithLabelsBecomeTrainingData) {
  constexpr size_t kRows = 200;
  Result<ml::SampleSet> test = ml::ReadSamples(dir_ / "work/test_raw.samples");
  ASSERT_TRUE(test.ok()) << test.status().message();
  Json instances = Json::array();
  Json feedback = Json::array();
  ml::SampleSet expected{.rows = 20, .cols = 20};
  for (size_t i = 0; i < kRows; ++i) {
    std::vector<float> inverted;
    for (float pixel : test->sample(i))
      inverted.push_back(255.0F - pixel);
    instances.push_back(inverted);
    expected.Add(test->labels[i], inverted);
    feedback.push_back(
        {{"request_id", "batch-1"}, {"row", i}, {"label", std::to_string(test->labels[i])}});
  }
  testing::WriteFile(dir_ / "instances.json", Json{{"instances", instances}}.dump());
  testing::WriteFile(dir_ / "feedback.json", feedback.dump());

  testing::ServeProcess server(dir_.path());
  server.Start("--no-auth -m digits@1 --log-predictions logs");
  ASSERT_FALSE(HasFatalFailure());
  auto [predicted, code] = server.Curl(
      "-H 'X-Request-Id: batch-1' -H 'Content-Type: application/json' "
      "--data-binary @instances.json " +
      server.url() + "/predict");
  ASSERT_EQ(code, 200) << predicted.dump().substr(0, 300);
  // Unlabelled requests stay out of the dataset.
  ASSERT_EQ(server.Curl("-F file=@sample.png " + server.url() + "/predict").second, 200);
  auto [joined, joined_code] = server.Curl(
      "-H 'Content-Type: application/json' --data-binary "
      "@feedback.json " +
      server.url() + "/feedback");
  ASSERT_EQ(joined_code, 200) << joined.dump().substr(0, 300);
  EXPECT_EQ(joined["accepted"], kRows);
  EXPECT_EQ(server.Stop(), "0\n");
  EXPECT_NE(ReadFile(dir_ / "serve.err").find("Logging predictions and feedback to logs"),
            std::string::npos);

  auto exported = Run("feedback export logs -o data/feedback.samples --json");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  Json report = Json::parse(exported.out, nullptr, false);
  EXPECT_EQ(report["examples"], kRows) << exported.out;
  EXPECT_EQ(report["predictions"], kRows + 1);
  EXPECT_EQ(report["feedback"], kRows);
  Result<ml::SampleSet> written = ml::ReadSamples(dir_ / "data/feedback.samples");
  ASSERT_TRUE(written.ok()) << written.status().message();
  EXPECT_EQ(written->labels, expected.labels);
  EXPECT_EQ(written->pixels, expected.pixels);  // the raw inputs, exactly

  // The next run trains on the sheet and the labelled live inputs.
  auto repro = Run("repro");
  ASSERT_EQ(repro.exit_code, 0) << repro.err;
  EXPECT_NE(repro.out.find("digits-load: 5200 samples of 20x20 in 10 classes (200 from "
                           "data/feedback.samples)"),
            std::string::npos)
      << repro.out;
  EXPECT_NE(repro.out.find("registered digits v3"), std::string::npos) << repro.out;

  // Held out as CSV, the labelled inputs judge v3 (trained on the other
  // half of them) against production (v1) through the serving path.
  auto split = Run(
      "feedback export logs -o train_half.samples --holdout 0.5 --holdout-out holdout.csv --json");
  ASSERT_EQ(split.exit_code, 0) << split.err;
  Json halves = Json::parse(split.out, nullptr, false);
  EXPECT_EQ(halves["examples"].get<size_t>() + halves["holdout_examples"].get<size_t>(), kRows);
  EXPECT_GT(halves["holdout_examples"].get<size_t>(), kRows / 4) << split.out;
  ASSERT_EQ(Run("model promote digits@1 production").exit_code, 0);
  auto gated =
      Run("model promote digits@3 production --if-better accuracy --evaluate-on holdout.csv "
          "--json");
  ASSERT_EQ(gated.exit_code, 0) << gated.err;
  Json decision = Json::parse(gated.out, nullptr, false);
  EXPECT_EQ(decision["decision"], "promoted") << gated.out;
  EXPECT_EQ(decision["evaluated_on"],
            "holdout.csv (" + std::to_string(halves["holdout_examples"].get<size_t>()) + " rows)");
  EXPECT_LT(decision["champion"]["value"].get<double>(),
            decision["challenger"]["value"].get<double>())
      << gated.out;
  EXPECT_NE(gated.err.find("Scoring digits v1 on holdout.csv"), std::string::npos) << gated.err;
  auto wrong_metric =
      Run("model promote digits@3 production --if-better metrics.json:accuracy --evaluate-on "
          "holdout.csv");
  EXPECT_EQ(wrong_metric.exit_code, 2) << wrong_metric.err;
  auto stray = Run("model promote digits@3 production --evaluate-on holdout.csv");
  EXPECT_EQ(stray.exit_code, 2) << stray.err;

  // Nothing labelled: an error, and the dataset is left as it was.
  ASSERT_EQ(
      testing::Shell(dir_.path(), "mkdir empty && head -1 logs/*.jsonl >empty/predictions-1.jsonl"),
      0);
  auto none = Run("feedback export empty -o data/feedback.samples");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no labelled predictions in 1 file(s) (1 predictions, 0 labels logged)"),
            std::string::npos)
      << none.err;
  EXPECT_EQ(ml::ReadSamples(dir_ / "data/feedback.samples")->size(), kRows);
}

TEST_F(ContinuousTrainingTest, FeedbackJoinsPredictionsAndShowsLiveAccuracyOnMetrics) {
  testing::ServeProcess server(dir_.path());
  // Tokens by role: predict (a client), feedback (a labelling tool).
  server.Start("-m digits@1 --feedback-min-outcomes 2",
               "CONVEYOR_TOKENS=client=c1:predict,labeller=l1:feedback ");
  ASSERT_FALSE(HasFatalFailure());
  const std::string client = "-H 'Authorization: Bearer c1' ";
  const std::string labeller = "-H 'Authorization: Bearer l1' ";
  auto [first, first_status] = server.Curl(client + "-H 'X-Request-Id: ticket-1' " +
                                           "-F file=@sample.png " + server.url() + "/predict");
  ASSERT_EQ(first_status, 200) << first.dump();
  EXPECT_EQ(first["request_id"], "ticket-1");
  auto [second, second_status] =
      server.Curl(client + "-F file=@sample.png " + server.url() + "/predict");
  ASSERT_EQ(second_status, 200);
  std::string second_id = second["request_id"];
  std::string wrong = label_ == "3" ? "4" : "3";

  // The client may not send labels; the labeller may.
  std::string body = Json::array({Json{{"request_id", "ticket-1"}, {"label", label_}},
                                  Json{{"request_id", second_id}, {"label", wrong}}})
                         .dump();
  std::string post =
      "-H 'Content-Type: application/json' -d '" + body + "' " + server.url() + "/feedback";
  EXPECT_EQ(server.Curl(client + post).second, 403);
  auto [joined, joined_status] = server.Curl(labeller + post);
  ASSERT_EQ(joined_status, 200) << joined.dump();
  EXPECT_EQ(joined["correct"], 1);
  EXPECT_EQ(joined["wrong"], 1);
  EXPECT_EQ(joined["results"][1]["predicted"], label_);

  ASSERT_EQ(testing::Shell(dir_.path(), "curl -s " + server.url() + "/metrics >metrics.txt"), 0);
  std::string metrics = ReadFile(dir_ / "metrics.txt");
  EXPECT_NE(metrics.find("conveyor_live_accuracy{model=\"digits\"} 0.5"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("conveyor_feedback_total{model=\"digits\",outcome=\"wrong\"} 1"),
            std::string::npos);
  EXPECT_NE(
      metrics.find("conveyor_live_class_error_rate{model=\"digits\",class=\"" + wrong + "\"} 1"),
      std::string::npos);
  EXPECT_EQ(server.Stop(), "0\n");
}

}  // namespace
}  // namespace conveyor

namespace conveyor {
namespace {

using testing::AlertPayload;

TEST_F(ContinuousTrainingTest, AFiringAlertStartsOneRetrainingRunThenCoolsDown) {
  testing::ServeProcess server(dir_.path());
  server.Start(
      "-m digits@1 --retrain-on ConveyorPredictionDrift --retrain-cooldown 600 "
      "--retrain-command 'echo \"$CONVEYOR_RETRAIN_ALERT run $CONVEYOR_RETRAIN_RUN\" "
      ">retrained.txt'",
      "CONVEYOR_TOKENS=client=c1:predict,alerts=a1:feedback ");
  ASSERT_FALSE(HasFatalFailure());
  auto post = [&](const std::string& token, const std::string& body) {
    testing::WriteFile(dir_ / "alert.json", body);
    return server.Curl("-H 'Authorization: Bearer " + token +
                       "' -H 'Content-Type: application/json' --data-binary @alert.json " +
                       server.url() + "/hooks/alertmanager");
  };
  EXPECT_EQ(post("c1", AlertPayload("ConveyorPredictionDrift", "firing")).second, 403);
  auto [resolved, resolved_status] =
      post("a1", AlertPayload("ConveyorPredictionDrift", "resolved"));
  EXPECT_EQ(resolved_status, 200);
  EXPECT_EQ(resolved["started"], false);
  auto [other, other_status] = post("a1", AlertPayload("DiskFull", "firing"));
  EXPECT_EQ(other["started"], false);
  EXPECT_FALSE(fs::exists(dir_ / "retrained.txt"));

  auto [fired, fired_status] = post("a1", AlertPayload("ConveyorPredictionDrift", "firing"));
  ASSERT_EQ(fired_status, 200) << fired.dump();
  EXPECT_EQ(fired["started"], true);
  EXPECT_EQ(fired["run"], 1);
  // The shell creates the file before echo writes to it: wait for the line.
  EXPECT_TRUE(testing::WaitUntil(
      std::chrono::milliseconds(10000),
      [&] { return ReadFile(dir_ / "retrained.txt") == "ConveyorPredictionDrift run 1\n"; },
      std::chrono::milliseconds(100)))
      << ReadFile(dir_ / "retrained.txt");
  EXPECT_TRUE(fs::exists(fired["log"].get<std::string>())) << fired.dump();

  // The repeat within the cool-down starts nothing.
  auto [repeat, repeat_status] = post("a1", AlertPayload("ConveyorPredictionDrift", "firing"));
  EXPECT_EQ(repeat_status, 200);
  EXPECT_EQ(repeat["started"], false);
  EXPECT_NE(repeat["reason"].get<std::string>().find("cool-down 600 s"), std::string::npos)
      << repeat.dump();
  // Not a payload: 422 naming the field.
  auto [bad, bad_status] = post("a1", R"({"version": "4", "alerts": [{"status": "firing"}]})");
  EXPECT_EQ(bad_status, 422);
  EXPECT_NE(bad.dump().find("alerts[0].labels"), std::string::npos) << bad.dump();
  EXPECT_EQ(server.Stop(), "0\n");
  std::string log = ReadFile(dir_ / "serve.err");
  EXPECT_NE(log.find("retraining run 1 succeeded"), std::string::npos) << log;

  // An alert needs a run to start.
  auto half = Run("serve --no-auth -m digits@1 --retrain-on X");
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_NE(half.err.find("--retrain-on and --retrain-schedule start a run: say what it is with "
                          "--retrain-command CMD or --retrain-pipeline TARGET"),
            std::string::npos)
      << half.err;
}

}  // namespace
}  // namespace conveyor

namespace conveyor {
namespace {

// With a PostgreSQL registry a replica hears a promotion through
// LISTEN/NOTIFY: it swaps within seconds although it polls once a minute.
TEST_F(ContinuousTrainingTest, APostgresRegistryNotifiesFollowersAtOnce) {
  const std::string pg =
      "CONVEYOR_REGISTRY=" + testing::SharedPostgresServer().CreateDatabase() + " ";
  auto pg_run = [&](const std::string& args) {
    return testing::RunConveyor(dir_.path(), args, env_ + pg);
  };
  // Two versions of the model in the workspace, registered by hand.
  for (int i = 0; i < 2; ++i) {
    auto registered = pg_run("model register digits --path model");
    ASSERT_EQ(registered.exit_code, 0) << registered.err;
  }
  ASSERT_EQ(pg_run("model promote digits@1 production").exit_code, 0);
  constexpr int kFirst = 1;
  constexpr int kSecond = 2;

  testing::ServeProcess server(dir_.path());
  server.Start("--no-auth -m digits@production --follow-interval 60", pg);
  ASSERT_FALSE(HasFatalFailure());
  auto served = [&] {
    return server.Curl("-F file=@sample.png " + server.url() + "/predict")
        .first["model"]["version"]
        .get<int>();
  };
  EXPECT_EQ(served(), kFirst);
  const auto promoted = std::chrono::steady_clock::now();
  ASSERT_EQ(pg_run("model promote digits@2 production").exit_code, 0);
  bool swapped = false;
  for (int i = 0; i < testing::ScaledCount(100) && !swapped; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    swapped = served() == kSecond;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - promoted).count();
  EXPECT_TRUE(swapped) << ReadFile(dir_ / "serve.err");
  // Well short of the 60 s poll, with room for a slow (sanitizer) build.
  EXPECT_LT(seconds, 45.0) << "a poll would have taken up to 60 s";
  std::string log = ReadFile(dir_ / "serve.err");
  EXPECT_NE(log.find("and at once on PostgreSQL's notification"), std::string::npos) << log;
  EXPECT_EQ(server.Stop(), "0\n");
}

}  // namespace
}  // namespace conveyor
