// digits-train: trains an XGBoost classifier (multi:softprob) on the train
// samples and writes the model as XGBoost JSON plus its spec, model.yaml
// (src/ml/model_spec.h): preprocessing, labels, a sample input with the label
// the model gives it, reference statistics for drift monitoring, and the
// training parameters.
#include <string>

#include "ml/model_spec.h"
#include "ml/reference_stats.h"
#include "ml/samples.h"
#include "ml/xgboost_classifier.h"
#include "stage_main.h"

namespace conveyor::digits {
namespace {

struct Options {
  std::string train = "work/train.samples";
  std::string test = "work/test.samples";
  std::string test_raw = "work/test_raw.samples";
  std::string model_dir = "model";
  bool deskew = true;  // must match what digits-preprocess applied
  int classes = 10;
  ml::XgboostParams params;
};

ml::DenseMatrix Matrix(const ml::SampleSet& s) { return {s.size(), s.features(), s.pixels}; }

Status Train(Options o) {
  o.params.num_class = o.classes;
  ASSIGN_OR_RETURN(ml::SampleSet train, ml::ReadSamples(o.train));
  ASSIGN_OR_RETURN(ml::SampleSet test, ml::ReadSamples(o.test));
  ASSIGN_OR_RETURN(ml::SampleSet test_raw, ml::ReadSamples(o.test_raw));
  if (test.size() == 0 || test.size() != test_raw.size()) {
    return Error(Code::kInvalid, "{} and {} must hold the same, non-zero number of samples", o.test,
                 o.test_raw);
  }
  ASSIGN_OR_RETURN(auto model, ml::XgboostClassifier::Train(o.params, Matrix(train), train.labels));

  ml::ModelSpec spec;
  spec.name = "digits";
  spec.backend = "xgboost";
  spec.model_file = "model.json";
  spec.input = {.rows = train.rows, .cols = train.cols, .scale = 1.0 / 255.0, .deskew = o.deskew};
  for (int k = 0; k < o.classes; ++k) {
    spec.labels.push_back(std::to_string(k));
  }
  // The sample input: the first test sample the model gets right, as raw
  // pixels, so a server can check it reproduces the answer end to end.
  ASSIGN_OR_RETURN(std::vector<int32_t> predicted, model->Predict(Matrix(test)));
  size_t pick = 0;
  while (pick + 1 < test.size() && predicted[pick] != test.labels[pick]) {
    ++pick;
  }
  for (float v : test_raw.sample(pick)) {
    spec.sample_input.pixels.push_back(static_cast<int>(v));
  }
  spec.sample_input.expected_label = spec.labels[static_cast<size_t>(predicted[pick])];
  ASSIGN_OR_RETURN(spec.reference, ml::ComputeReferenceStats(train, o.classes));
  spec.training_params = {
      {"objective", "multi:softprob"},
      {"n_estimators", std::to_string(o.params.n_estimators)},
      {"max_depth", std::to_string(o.params.max_depth)},
      {"learning_rate", fmt::format("{}", o.params.learning_rate)},
      {"tree_method", o.params.tree_method},
      {"seed", std::to_string(o.params.seed)},
      {"nthread", std::to_string(o.params.nthread)},
      {"train_samples", std::to_string(train.size())},
  };

  const std::filesystem::path dir = o.model_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error(Code::kIo, "cannot create {}: {}", dir.string(), ec.message());
  }
  RETURN_IF_ERROR(model->Save(dir / spec.model_file));
  RETURN_IF_ERROR(ml::WriteModelSpec(dir / "model.yaml", spec));
  fmt::print("digits-train: {} rounds on {} samples -> {}\n", o.params.n_estimators, train.size(),
             (dir / spec.model_file).string());
  return OkStatus();
}

}  // namespace
}  // namespace conveyor::digits

int main(int argc, char** argv) {
  conveyor::digits::Options o;
  o.params.n_estimators = 200;
  o.params.max_depth = 4;
  o.params.learning_rate = 0.3;
  o.params.seed = 42;
  CLI::App app("Train an XGBoost digit classifier; write model.json and model.yaml.",
               "digits-train");
  app.footer(
      "Example:\n  digits-train --train work/train.samples --test work/test.samples \\\n"
      "    --test-raw work/test_raw.samples --model-dir model --deskew true \\\n"
      "    --n-estimators 200 --max-depth 4 --learning-rate 0.3 --tree-method hist --seed 42");
  app.add_option("--train", o.train, "train samples from digits-preprocess")->capture_default_str();
  app.add_option("--test", o.test, "test samples (for model.yaml's sample input)")
      ->capture_default_str();
  app.add_option("--test-raw", o.test_raw, "the same test samples before preprocessing")
      ->capture_default_str();
  app.add_option("--model-dir", o.model_dir, "directory for model.json and model.yaml")
      ->capture_default_str();
  app.add_option("--deskew", o.deskew, "whether the samples were deskewed (recorded in model.yaml)")
      ->capture_default_str();
  app.add_option("--classes", o.classes, "number of classes")->capture_default_str();
  app.add_option("--n-estimators", o.params.n_estimators, "boosting rounds")->capture_default_str();
  app.add_option("--max-depth", o.params.max_depth, "maximum tree depth")->capture_default_str();
  app.add_option("--learning-rate", o.params.learning_rate, "shrinkage (eta)")
      ->capture_default_str();
  app.add_option("--tree-method", o.params.tree_method, "hist, approx or exact")
      ->capture_default_str();
  app.add_option("--seed", o.params.seed, "random seed")->capture_default_str();
  app.add_option("--nthread", o.params.nthread, "threads (0: all cores)")->capture_default_str();
  return conveyor::digits::RunStage(app, argc, argv, [&] { return conveyor::digits::Train(o); });
}
