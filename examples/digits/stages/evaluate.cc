// digits-evaluate: scores the model on the test samples, with the backend
// model.yaml names (XGBoost for examples/digits, ONNX for examples/digits-cnn).
//
// Writes metrics.json ({"accuracy", "macro_precision", "macro_recall",
// "macro_f1", "test_samples", "per_class": {"0": {precision, recall, f1,
// support}, ...}}), and plot data in DVC's formats: confusion.json (one
// {"actual", "predicted"} row per test sample, for the `confusion` template),
// per_class.csv (class,precision,recall) and misclassified.png (a grid of
// misclassified test digits as loaded, 4x upscaled, captioned
// "actual>predicted").
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "common/file_util.h"
#include "ml/classification_metrics.h"
#include "ml/classifier.h"
#include "ml/gray_image.h"
#include "ml/model_spec.h"
#include "ml/samples.h"
#include "stage_main.h"

namespace conveyor::digits {
namespace {

struct Options {
  std::string model_dir = "model";
  std::string test = "work/test.samples";
  std::string test_raw = "work/test_raw.samples";
  std::string metrics = "metrics.json";
  std::string plots_dir = "plots";
  int max_misclassified = 24;
};

double Round4(double v) { return std::round(v * 10000.0) / 10000.0; }

ml::GrayImage MisclassifiedGrid(const ml::SampleSet& raw, const std::vector<size_t>& picks,
                                const std::vector<int32_t>& predicted,
                                const std::vector<std::string>& labels) {
  constexpr int kFactor = 4;
  constexpr int kPerRow = 8;
  constexpr int kCaption = 22;
  constexpr int kGap = 6;
  const int tile_w = raw.cols * kFactor;
  const int tile_h = raw.rows * kFactor;
  const int count = std::max<int>(1, static_cast<int>(picks.size()));
  const int grid_cols = std::min(kPerRow, count);
  const int grid_rows = (count + kPerRow - 1) / kPerRow;
  ml::GrayImage grid = ml::MakeGrayImage(grid_rows * (tile_h + kCaption + kGap) + kGap,
                                         grid_cols * (tile_w + kGap) + kGap, 40);
  if (picks.empty()) {
    ml::DrawText(grid, "none", kGap, kGap + 30, 0.8);
    return grid;
  }
  for (size_t k = 0; k < picks.size(); ++k) {
    const size_t i = picks[k];
    ml::GrayImage cell = ml::MakeGrayImage(raw.rows, raw.cols);
    const auto pixels = raw.sample(i);
    for (size_t p = 0; p < pixels.size(); ++p) {
      cell.pixels[p] = static_cast<uint8_t>(std::clamp(pixels[p], 0.0F, 255.0F));
    }
    const ml::GrayImage big = ml::Upscale(cell, kFactor);
    const int x0 = kGap + static_cast<int>(k % kPerRow) * (tile_w + kGap);
    const int y0 = kGap + static_cast<int>(k / kPerRow) * (tile_h + kCaption + kGap);
    for (int r = 0; r < big.rows; ++r) {
      for (int c = 0; c < big.cols; ++c) {
        grid.at(y0 + r, x0 + c) = big.at(r, c);
      }
    }
    const std::string caption = fmt::format("{} as {}", labels[static_cast<size_t>(raw.labels[i])],
                                            labels[static_cast<size_t>(predicted[i])]);
    ml::DrawText(grid, caption, x0 + 4, y0 + tile_h + 17, 0.55);
  }
  return grid;
}

Status Evaluate(const Options& o) {
  const std::filesystem::path dir = o.model_dir;
  ASSIGN_OR_RETURN(ml::ModelSpec spec, ml::ReadModelSpec(dir / "model.yaml"));
  // The backend (xgboost, onnx, ...) is the one model.yaml names.
  ASSIGN_OR_RETURN(auto model, ml::LoadClassifier(spec, dir));
  ASSIGN_OR_RETURN(ml::SampleSet test, ml::ReadSamples(o.test));
  ASSIGN_OR_RETURN(ml::SampleSet test_raw, ml::ReadSamples(o.test_raw));
  if (test.size() != test_raw.size()) {
    return Error(Code::kInvalid, "{} and {} hold different numbers of samples", o.test, o.test_raw);
  }
  ASSIGN_OR_RETURN(std::vector<int32_t> predicted,
                   model->Predict({test.size(), test.features(), test.pixels}));
  ASSIGN_OR_RETURN(ml::ClassificationMetrics m,
                   ml::ComputeMetrics(test.labels, predicted, model->num_classes()));

  nlohmann::ordered_json metrics = {
      {"accuracy", Round4(m.accuracy)},
      {"macro_precision", Round4(m.macro_precision)},
      {"macro_recall", Round4(m.macro_recall)},
      {"macro_f1", Round4(m.macro_f1)},
      {"test_samples", test.size()},
  };
  nlohmann::ordered_json per_class = nlohmann::ordered_json::object();
  std::string csv = "class,precision,recall\n";
  for (size_t k = 0; k < m.per_class.size(); ++k) {
    const ml::ClassMetrics& c = m.per_class[k];
    per_class[spec.labels[k]] = {{"precision", Round4(c.precision)},
                                 {"recall", Round4(c.recall)},
                                 {"f1", Round4(c.f1)},
                                 {"support", c.support}};
    csv += fmt::format("{},{:.4f},{:.4f}\n", spec.labels[k], c.precision, c.recall);
  }
  metrics["per_class"] = per_class;

  // One row per line: readable in a diff, and what DVC's confusion template
  // reads.
  std::string confusion = "[\n";
  std::vector<size_t> wrong;
  for (size_t i = 0; i < test.size(); ++i) {
    const nlohmann::ordered_json row = {
        {"actual", spec.labels[static_cast<size_t>(test.labels[i])]},
        {"predicted", spec.labels[static_cast<size_t>(predicted[i])]}};
    confusion += fmt::format("  {}{}\n", row.dump(), i + 1 < test.size() ? "," : "");
    if (predicted[i] != test.labels[i] && static_cast<int>(wrong.size()) < o.max_misclassified) {
      wrong.push_back(i);
    }
  }

  const std::filesystem::path plots = o.plots_dir;
  RETURN_IF_ERROR(MakeParentDirs(o.metrics));
  RETURN_IF_ERROR(MakeParentDirs(plots / "x"));
  RETURN_IF_ERROR(AtomicWriteFile(o.metrics, metrics.dump(2) + "\n"));
  RETURN_IF_ERROR(AtomicWriteFile(plots / "confusion.json", confusion + "]\n"));
  RETURN_IF_ERROR(AtomicWriteFile(plots / "per_class.csv", csv));
  RETURN_IF_ERROR(ml::WritePng(plots / "misclassified.png",
                               MisclassifiedGrid(test_raw, wrong, predicted, spec.labels)));
  fmt::print("digits-evaluate: accuracy {:.4f}, macro F1 {:.4f} on {} test samples\n", m.accuracy,
             m.macro_f1, test.size());
  return OkStatus();
}

}  // namespace
}  // namespace conveyor::digits

int main(int argc, char** argv) {
  conveyor::digits::Options o;
  CLI::App app("Score the digit classifier on the test set; write metrics and plot data.",
               "digits-evaluate");
  app.footer(
      "Example:\n  digits-evaluate --model-dir model --test work/test.samples \\\n"
      "    --test-raw work/test_raw.samples --metrics metrics.json --plots-dir plots");
  app.add_option("--model-dir", o.model_dir, "directory with model.yaml and the model")
      ->capture_default_str();
  app.add_option("--test", o.test, "test samples from digits-preprocess")->capture_default_str();
  app.add_option("--test-raw", o.test_raw, "the same test samples before preprocessing")
      ->capture_default_str();
  app.add_option("--metrics", o.metrics, "metrics file to write")->capture_default_str();
  app.add_option("--plots-dir", o.plots_dir, "directory for plot data")->capture_default_str();
  app.add_option("--max-misclassified", o.max_misclassified,
                 "how many misclassified digits to draw")
      ->capture_default_str();
  return conveyor::digits::RunStage(app, argc, argv, [&] { return conveyor::digits::Evaluate(o); });
}
