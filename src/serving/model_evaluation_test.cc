#include "serving/model_evaluation.h"

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "ml/samples.h"
#include "serving/test_digits_model.h"
#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

namespace fs = std::filesystem;
using conveyor::testing::TempDir;

class ModelEvaluationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::DigitsModel digits = testing::TrainDigitsModel();
    ASSERT_NE(digits.classifier, nullptr);
    images_ = digits.images;
    labels_ = digits.labels;
    auto model = ServedModel::Create({.name = "digits", .version = 4}, digits.spec,
                                     std::move(digits.classifier));
    ASSERT_TRUE(model.ok()) << model.status().message();
    model_ = std::move(*model);
  }

  // The training images, inverted when `invert`, as a samples file.
  fs::path WriteSamples(const std::string& name, bool invert) {
    ml::SampleSet set{.rows = 20, .cols = 20};
    for (size_t i = 0; i < images_.size(); ++i) {
      std::vector<float> raw;
      for (uint8_t pixel : images_[i].pixels)
        raw.push_back(invert ? 255.0F - pixel : pixel);
      set.Add(labels_[i], raw);
    }
    const fs::path path = dir_.path() / name;
    EXPECT_TRUE(ml::WriteSamples(path, set).ok());
    return path;
  }

  TempDir dir_;
  std::vector<ml::GrayImage> images_;
  std::vector<int32_t> labels_;
  std::unique_ptr<ServedModel> model_;
};

TEST_F(ModelEvaluationTest, ScoresThroughTheServingPathOnSamplesAndCsv) {
  auto data = ReadLabelledRows(WriteSamples("train.samples", false));
  ASSERT_TRUE(data.ok()) << data.status().message();
  EXPECT_EQ(data->labels.size(), images_.size());
  EXPECT_EQ(data->width, 400u);
  auto metrics = EvaluateModel(*model_, *data);
  ASSERT_TRUE(metrics.ok()) << metrics.status().message();
  EXPECT_GT(metrics->accuracy, 0.9);  // its own training images
  auto inverted = EvaluateModel(*model_, *ReadLabelledRows(WriteSamples("inv.samples", true)));
  ASSERT_TRUE(inverted.ok());
  EXPECT_LT(inverted->accuracy, 0.5);

  // The same rows as CSV (a quoted label too) give the same figures.
  std::string csv = "label";
  for (int i = 0; i < 400; ++i)
    csv += ",x" + std::to_string(i);
  csv += '\n';
  for (size_t r = 0; r < data->labels.size(); ++r) {
    csv += r == 0 ? "\"" + data->labels[r] + "\"" : data->labels[r];
    for (size_t c = 0; c < 400; ++c)
      csv += "," + std::to_string(static_cast<int>(data->raw[r * 400 + c]));
    csv += '\n';
  }
  ASSERT_TRUE(AtomicWriteFile(dir_.path() / "train.csv", csv).ok());
  auto from_csv = ReadLabelledRows(dir_.path() / "train.csv");
  ASSERT_TRUE(from_csv.ok()) << from_csv.status().message();
  auto csv_metrics = EvaluateModel(*model_, *from_csv);
  ASSERT_TRUE(csv_metrics.ok());
  EXPECT_EQ(csv_metrics->confusion, metrics->confusion);

  // Two files scored as one set.
  LabelledRows both = *data;
  ASSERT_TRUE(AppendLabelledRows(both, *ReadLabelledRows(dir_.path() / "inv.samples")).ok());
  EXPECT_EQ(both.labels.size(), 2 * data->labels.size());
  auto mixed = EvaluateModel(*model_, both);
  ASSERT_TRUE(mixed.ok());
  EXPECT_NEAR(mixed->accuracy, (metrics->accuracy + inverted->accuracy) / 2, 1e-12);
  LabelledRows narrow{.labels = {"1"}, .width = 2, .raw = {0, 0}, .source = "n.csv"};
  Status refused = AppendLabelledRows(both, narrow);
  EXPECT_NE(refused.message().find("n.csv has rows of 2 values"), std::string::npos)
      << refused.message();

  EXPECT_EQ(*NamedMetric(*metrics, "accuracy"), metrics->accuracy);
  EXPECT_EQ(*NamedMetric(*metrics, "macro_f1"), metrics->macro_f1);
  EXPECT_EQ(NamedMetric(*metrics, "auc").status().code(), Code::kUsage);
}

TEST_F(ModelEvaluationTest, BadDataIsNamedWithFileAndLineOrRow) {
  auto read_error = [&](const std::string& text) {
    EXPECT_TRUE(AtomicWriteFile(dir_.path() / "d.csv", text).ok());
    auto data = ReadLabelledRows(dir_.path() / "d.csv");
    return data.ok() ? std::string("ok") : data.status().message();
  };
  const std::string file = (dir_.path() / "d.csv").string();
  EXPECT_EQ(read_error("7,1,2\n"), file +
                                       ":1: expected a header line starting with 'label' (as "
                                       "'conveyor feedback export' writes), then "
                                       "label,value,... rows");
  EXPECT_EQ(read_error("label,x0,x1\n7,1,2\n3,1\n"), file + ":3: 1 values, the rows before had 2");
  EXPECT_EQ(read_error("label,x0\n7,one\n"), file + ":2: value 1 'one' is not a number");
  EXPECT_EQ(read_error("label,x0\n\"7,1\n"), file + ":2: unterminated quote");
  EXPECT_EQ(read_error("label,x0\n"), file + ": no labelled rows to evaluate on");

  // Shape and labels are checked against the model.
  ASSERT_EQ(read_error("label,x0,x1\n7,1,2\n"), "ok");
  auto narrow = EvaluateModel(*model_, *ReadLabelledRows(dir_.path() / "d.csv"));
  ASSERT_FALSE(narrow.ok());
  EXPECT_EQ(narrow.status().message(),
            file + ": rows of 2 values, but digits v4 takes 400 (20x20)");
  LabelledRows unknown{.labels = {"7", "seven"}, .width = 400, .source = "x.csv"};
  unknown.raw.assign(800, 0.0F);
  auto bad_label = EvaluateModel(*model_, unknown);
  ASSERT_FALSE(bad_label.ok());
  EXPECT_EQ(bad_label.status().message(),
            "x.csv: row 2 has label 'seven', which digits v4 does not know");
}

}  // namespace
}  // namespace conveyor::serving
