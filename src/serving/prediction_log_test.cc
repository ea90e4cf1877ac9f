#include "serving/prediction_log.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "serving/model_input.h"
#include "serving/prediction_dataset.h"
#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::TempDir;

// A 2x2 image model with labels "0" and "1".
class Constant : public ml::Classifier {
 public:
  Result<std::vector<float>> PredictProba(const ml::DenseMatrix& features) const override {
    std::vector<float> out;
    for (size_t r = 0; r < features.rows; ++r) {
      out.push_back(0.25F);
      out.push_back(0.75F);
    }
    return out;
  }
  int num_classes() const override { return 2; }
};

std::unique_ptr<ServedModel> MakeModel(int version) {
  ml::ModelSpec spec;
  spec.name = "tiny";
  spec.labels = {"0", "1"};
  spec.input.rows = 2;
  spec.input.cols = 2;
  auto model =
      ServedModel::Create({.name = "tiny", .version = version, .experiment_tag = "abc1234"}, spec,
                          std::make_unique<Constant>());
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(*model);
}

// `n` rows of raw pixels, row r filled with r.
FeatureRows Rows(const ServedModel& model, size_t n) {
  FeatureRows rows;
  for (size_t r = 0; r < n; ++r) {
    std::vector<float> raw(4, static_cast<float>(r) + 0.5F);
    InputResult one = RawFeatures(model.spec(), raw);
    EXPECT_TRUE(one.ok());
    rows.Append(one.value());
  }
  return rows;
}

std::vector<Prediction> Said(size_t n) {
  return std::vector<Prediction>(n,
                                 {.class_index = 1, .label = "1", .probabilities = {0.25F, 0.75F}});
}

std::vector<Json> Lines(const fs::path& file) {
  std::vector<Json> lines;
  std::ifstream in(file);
  for (std::string text; std::getline(in, text);)
    lines.push_back(Json::parse(text));
  return lines;
}

FeedbackResult Joined(FeedbackOutcome outcome, int version = 1) {
  return {.outcome = outcome, .predicted = "1", .model = "tiny", .model_version = version};
}

std::vector<LabelledExample> Export(const fs::path& dir, DatasetScan* scan = nullptr,
                                    const DatasetFilter& filter = {}) {
  auto files = PredictionLogFiles({dir});
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  std::vector<LabelledExample> examples;
  auto scanned = ScanLabelledExamples(*files, filter, [&](const LabelledExample& example) {
    examples.push_back(example);
    return OkStatus();
  });
  EXPECT_TRUE(scanned.ok()) << scanned.status().ToString();
  if (scan != nullptr && scanned.ok())
    *scan = *scanned;
  return examples;
}

TEST(PredictionLogTest, WritesRawInputsAndJoinedFeedbackAsJsonLines) {
  TempDir dir;
  auto model = MakeModel(3);
  auto log = PredictionLog::Open({.dir = dir.path() / "log", .now = [] {
                                    return std::chrono::system_clock::time_point(
                                        std::chrono::milliseconds(1'795'000'000'123));
                                  }});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  (*log)->OnPredictions(*model, Rows(*model, 2), Said(2), {}, "req-1");
  (*log)->OnFeedback("req-1", 1, "0", Joined(FeedbackOutcome::kWrong, 3));
  // A duplicate is not logged; a label for a request this replica does not
  // remember is (another replica may have logged its prediction).
  (*log)->OnFeedback("req-1", 1, "1", Joined(FeedbackOutcome::kDuplicate, 3));
  (*log)->OnFeedback("req-9", 0, "0", {.outcome = FeedbackOutcome::kUnknownRequest});
  (*log)->Flush();

  const fs::path segment = (*log)->current_segment();
  EXPECT_TRUE(segment.filename().string().starts_with("predictions-20261118T110640123Z-"))
      << segment.filename();
  std::vector<Json> lines = Lines(segment);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], Json::parse(R"({"ts":"2026-11-18T11:06:40.123Z","type":"prediction",
      "request_id":"req-1","row":0,"model":"tiny","version":3,"tag":"abc1234","predicted":"1",
      "confidence":0.75,"shape":[2,2],"input":[0.5,0.5,0.5,0.5]})"));
  EXPECT_EQ(lines[1]["input"], Json::parse("[1.5,1.5,1.5,1.5]"));
  EXPECT_EQ(lines[2], Json::parse(R"({"ts":"2026-11-18T11:06:40.123Z","type":"feedback",
      "request_id":"req-1","row":1,"label":"0","outcome":"wrong","model":"tiny","version":3})"));
  EXPECT_EQ(lines[3], Json::parse(R"({"ts":"2026-11-18T11:06:40.123Z","type":"feedback",
      "request_id":"req-9","row":0,"label":"0","outcome":"unknown_request"})"));
  EXPECT_EQ((*log)->stats().lines, 4u);

  // Read back: row 1 is labelled, row 0 is not.
  std::vector<LabelledExample> examples = Export(dir.path() / "log");
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].request_id, "req-1");
  EXPECT_EQ(examples[0].row, 1u);
  EXPECT_EQ(examples[0].label, "0");
  EXPECT_EQ(examples[0].predicted, "1");
  EXPECT_EQ(examples[0].version, 3);
  EXPECT_EQ(examples[0].input, std::vector<float>(4, 1.5F));
  EXPECT_EQ(examples[0].rows, 2);
}

TEST(PredictionLogTest, SamplingKeepsARequestAndItsFeedbackTogether) {
  TempDir dir;
  auto model = MakeModel(1);
  auto log = PredictionLog::Open({.dir = dir.path(), .sample = 0.25});
  ASSERT_TRUE(log.ok());
  size_t sampled = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = "r" + std::to_string(i);
    (*log)->OnPredictions(*model, Rows(*model, 1), Said(1), {}, id);
    (*log)->OnFeedback(id, 0, "1", Joined(FeedbackOutcome::kCorrect));
    sampled += (*log)->Sampled(id) ? 1 : 0;
  }
  (*log)->Flush();
  EXPECT_GT(sampled, 400u);
  EXPECT_LT(sampled, 600u);
  DatasetScan scan;
  EXPECT_EQ(Export(dir.path(), &scan).size(), sampled);  // every logged row has its label
  EXPECT_EQ(scan.predictions, sampled);
  EXPECT_EQ(scan.feedback, sampled);
  // Stable: the same ids are chosen by another log.
  auto again = PredictionLog::Open({.dir = dir.path() / "again", .sample = 0.25});
  ASSERT_TRUE(again.ok());
  for (int i = 0; i < 2000; ++i) {
    const std::string id = "r" + std::to_string(i);
    EXPECT_EQ((*again)->Sampled(id), (*log)->Sampled(id)) << id;
  }
}

TEST(PredictionLogTest, SegmentsRotateAndTheOldestGoBeyondTheLimit) {
  TempDir dir;
  auto model = MakeModel(1);
  // One prediction line is about 200 bytes: a segment holds about five.
  auto log = PredictionLog::Open({.dir = dir.path(),
                                  .segment_bytes = 1000,
                                  .max_bytes = 3000,
                                  .buffering = {.buffer_bytes = 1, .backlog_bytes = 1}});
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 200; ++i)
    (*log)->OnPredictions(*model, Rows(*model, 1), Said(1), {}, "r" + std::to_string(i));
  (*log)->Flush();
  auto files = PredictionLogFiles({dir.path()});
  ASSERT_TRUE(files.ok());
  uint64_t total = 0;
  for (const fs::path& file : *files)
    total += fs::file_size(file);
  EXPECT_LE(total, 3000u + 1000u);  // the limit, and the segment being written
  EXPECT_GE(files->size(), 3u);
  EXPECT_GT((*log)->stats().segments_removed, 20u);
  // What is left is the newest: the last request is there.
  DatasetScan scan;
  Export(dir.path(), &scan);
  EXPECT_LT(scan.predictions, 40u);
  std::vector<Json> last = Lines(files->back());
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(last.back()["request_id"], "r199");
}

TEST(PredictionLogTest, AnotherReplicasCleanUpLeavesTheSegmentBeingWrittenAlone) {
  TempDir dir;
  auto model = MakeModel(1);
  // Replica a starts first (its segment's name sorts oldest) and writes
  // little; replica b writes a lot into the same directory.
  auto quiet = PredictionLog::Open(
      {.dir = dir.path(), .buffering = {.buffer_bytes = 1, .backlog_bytes = 1}});
  ASSERT_TRUE(quiet.ok());
  (*quiet)->OnPredictions(*model, Rows(*model, 1), Said(1), {}, "quiet-1");
  (*quiet)->Flush();
  const fs::path quiet_segment = (*quiet)->current_segment();
  auto busy = PredictionLog::Open({.dir = dir.path(),
                                   .segment_bytes = 1000,
                                   .max_bytes = 3000,
                                   .buffering = {.buffer_bytes = 1, .backlog_bytes = 1}});
  ASSERT_TRUE(busy.ok());
  for (int i = 0; i < 100; ++i)
    (*busy)->OnPredictions(*model, Rows(*model, 1), Said(1), {}, "busy-" + std::to_string(i));
  (*busy)->Flush();
  EXPECT_GT((*busy)->stats().segments_removed, 5u);
  ASSERT_TRUE(fs::exists(quiet_segment)) << "removed while replica a writes it";
  (*quiet)->OnPredictions(*model, Rows(*model, 1), Said(1), {}, "quiet-2");
  (*quiet)->Flush();
  EXPECT_EQ(Lines(quiet_segment).size(), 2u);
  // Closed, it is an old segment like any other.
  quiet->reset();
  (*busy)->OnPredictions(*model, Rows(*model, 1), Said(1), {}, "busy-last");
  for (int i = 0; i < 20 && fs::exists(quiet_segment); ++i)
    (*busy)->OnPredictions(*model, Rows(*model, 1), Said(1), {}, "busy-more");
  (*busy)->Flush();
  EXPECT_FALSE(fs::exists(quiet_segment));
}

TEST(PredictionLogTest, BadOptionsAreRefused) {
  TempDir dir;
  EXPECT_EQ(PredictionLog::Open({.dir = dir.path(), .sample = 0}).status().code(), Code::kUsage);
  EXPECT_EQ(PredictionLog::Open({.dir = dir.path(), .sample = 1.5}).status().code(), Code::kUsage);
  EXPECT_EQ(PredictionLog::Open({.dir = dir.path(), .segment_bytes = 100, .max_bytes = 10})
                .status()
                .code(),
            Code::kUsage);
  ASSERT_TRUE(AtomicWriteFile(dir.path() / "file", "x").ok());
  auto not_dir = PredictionLog::Open({.dir = dir.path() / "file" / "log"});
  ASSERT_FALSE(not_dir.ok());
  EXPECT_NE(not_dir.status().message().find("cannot create the prediction log directory"),
            std::string::npos);
}

// One line of a segment, at second `t` of a fixed minute.
std::string Line(int t, const std::string& rest) {
  return fmt::format(R"({{"ts":"2026-11-28T01:02:{:02d}.000Z",{}}})", t, rest) + "\n";
}

TEST(PredictionDatasetTest, LabelsJoinThePredictionTheirIdNamedThenAndATornLineIsSkipped) {
  TempDir dir;
  // Two replicas' segments; file order is not event order.
  const fs::path a = dir.path() / "predictions-1-a.jsonl";
  const fs::path b = dir.path() / "predictions-2-b.jsonl";
  const std::string p =
      R"("type":"prediction","model":"tiny","version":1,"predicted":"1","shape":[1,2],)";
  ASSERT_TRUE(
      AtomicWriteFile(a, Line(1, p + R"("request_id":"x","row":0,"input":[1,1])") +
                             Line(2, p + R"("request_id":"y","row":0,"input":[5,5])") +
                             Line(9, R"("type":"feedback","request_id":"x","row":0,"label":"1")"))
          .ok());
  // Replica b: x's label (it did not make the prediction), then x reused
  // for another input, labelled later by replica a (above, at second 9); a
  // second label for the first x does not count. The last line is torn.
  ASSERT_TRUE(
      AtomicWriteFile(
          b,
          Line(
              3,
              R"("type":"feedback","request_id":"x","row":0,"label":"0","outcome":"unknown_request")") +
              Line(4, R"("type":"feedback","request_id":"x","row":0,"label":"7")") +
              Line(5, p + R"("request_id":"x","row":0,"input":[2,2])") +
              R"({"ts":"2026-11-28T01:02:10.000Z","type":"feedback","request_id":"y","ro)")
          .ok());
  ASSERT_TRUE(AtomicWriteFile(dir.path() / "notes.txt", "not a segment").ok());
  DatasetScan scan;
  std::vector<LabelledExample> examples = Export(dir.path(), &scan);
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[0].input, (std::vector<float>{1, 1}));
  EXPECT_EQ(examples[0].label, "0");
  EXPECT_EQ(examples[1].input, (std::vector<float>{2, 2}));
  EXPECT_EQ(examples[1].label, "1");
  EXPECT_EQ(scan.files, 2u);
  EXPECT_EQ(scan.torn_lines, 1u);
  EXPECT_EQ(scan.predictions, 3u);
  EXPECT_EQ(scan.feedback, 3u);
  // Another model's predictions are left out by a filter.
  EXPECT_TRUE(Export(dir.path(), nullptr, {.model = "other"}).empty());
}

TEST(PredictionDatasetTest, ABadLineIsNamedWithItsFileAndLine) {
  TempDir dir;
  const fs::path file = dir.path() / "predictions-1.jsonl";
  auto scan_error = [&](const std::string& text) {
    EXPECT_TRUE(AtomicWriteFile(file, text).ok());
    auto scanned =
        ScanLabelledExamples({file}, {}, [](const LabelledExample&) { return OkStatus(); });
    return scanned.ok() ? std::string("ok") : scanned.status().message();
  };
  EXPECT_EQ(scan_error("{\"ts\":\"t\",\"type\":\"feedback\",\"request_id\":\"x\",\"row\":0,"
                       "\"label\":\"1\"}\nnope\n"),
            file.string() + ":2: not a JSON object");
  EXPECT_EQ(scan_error("{\"ts\":\"t\",\"type\":\"feedback\",\"request_id\":\"x\",\"row\":\"0\"}\n"),
            file.string() + ":1: field 'row' has the wrong type (string)");
  EXPECT_EQ(scan_error("{\"ts\":\"t\",\"type\":\"guess\",\"request_id\":\"x\",\"row\":0}\n"),
            file.string() + ":1: type 'guess' is neither prediction nor feedback");
  EXPECT_EQ(
      scan_error(
          "{\"ts\":\"t\",\"type\":\"prediction\",\"request_id\":\"x\",\"row\":0,\"model\":\"m\","
          "\"version\":1,\"predicted\":\"1\",\"shape\":[2,2],\"input\":[1]}\n"
          "{\"ts\":\"t\",\"type\":\"feedback\",\"request_id\":\"x\",\"row\":0,\"label\":\"1\"}\n"),
      file.string() + ":1: 'input' has 1 values, 'shape' says 2x2");
  EXPECT_EQ(scan_error("{\"type\":\"feedback\",\"request_id\":\"x\",\"row\":0}\n"),
            file.string() + ":1: field 'ts' is missing");
  auto missing = PredictionLogFiles({dir.path() / "nowhere"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "no prediction log at " + (dir.path() / "nowhere").string());
}

}  // namespace
}  // namespace conveyor::serving
