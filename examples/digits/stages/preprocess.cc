// digits-preprocess: scales (and optionally deskews) every sample with
// ml::ApplyPreprocessing, then splits them into train and test sets with a
// seeded shuffle.
//
// Shuffle: Fisher-Yates driven by std::mt19937_64(seed), index j = rng() %
// (i + 1), so a seed gives the same split on every platform. The first
// round(test_size * n) shuffled samples are the test set.
// Outputs: train and test samples (preprocessed, values 0..1) and the test
// samples as loaded (0..255), which train uses for model.yaml's sample input
// and evaluate for the picture of misclassified digits.
#include <cmath>
#include <random>
#include <string>

#include "ml/preprocessing.h"
#include "ml/samples.h"
#include "stage_main.h"

namespace conveyor::digits {
namespace {

struct Options {
  std::string in = "work/raw.samples";
  std::string train_out = "work/train.samples";
  std::string test_out = "work/test.samples";
  std::string test_raw_out = "work/test_raw.samples";
  double test_size = 0.2;
  uint64_t seed = 42;
  bool deskew = true;
};

Status Preprocess(const Options& o) {
  if (!(o.test_size > 0 && o.test_size < 1)) {
    return Error(Code::kUsage, "--test-size must be between 0 and 1 (exclusive), got {}",
                 o.test_size);
  }
  ASSIGN_OR_RETURN(ml::SampleSet raw, ml::ReadSamples(o.in));
  const ml::Preprocessing spec{
      .rows = raw.rows, .cols = raw.cols, .scale = 1.0 / 255.0, .deskew = o.deskew};

  std::vector<size_t> order(raw.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::mt19937_64 rng(o.seed);
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[rng() % i]);
  }
  const auto test_count =
      static_cast<size_t>(std::llround(o.test_size * static_cast<double>(raw.size())));
  if (test_count == 0 || test_count >= raw.size()) {
    return Error(Code::kInvalid, "test_size {} of {} samples leaves an empty train or test set",
                 o.test_size, raw.size());
  }

  ml::SampleSet train{.rows = raw.rows, .cols = raw.cols};
  ml::SampleSet test{.rows = raw.rows, .cols = raw.cols};
  ml::SampleSet test_raw{.rows = raw.rows, .cols = raw.cols};
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    ASSIGN_OR_RETURN(std::vector<float> features, ml::ApplyPreprocessing(spec, raw.sample(i)));
    if (k < test_count) {
      test.Add(raw.labels[i], features);
      test_raw.Add(raw.labels[i], raw.sample(i));
    } else {
      train.Add(raw.labels[i], features);
    }
  }
  for (const std::string* path : {&o.train_out, &o.test_out, &o.test_raw_out}) {
    RETURN_IF_ERROR(MakeParentDirs(*path));
  }
  RETURN_IF_ERROR(ml::WriteSamples(o.train_out, train));
  RETURN_IF_ERROR(ml::WriteSamples(o.test_out, test));
  RETURN_IF_ERROR(ml::WriteSamples(o.test_raw_out, test_raw));
  fmt::print("digits-preprocess: deskew {}, {} train / {} test samples (seed {})\n",
             o.deskew ? "on" : "off", train.size(), test.size(), o.seed);
  return OkStatus();
}

}  // namespace
}  // namespace conveyor::digits

int main(int argc, char** argv) {
  conveyor::digits::Options o;
  CLI::App app("Scale and deskew digit samples, then split them into train and test sets.",
               "digits-preprocess");
  app.footer(
      "Example:\n  digits-preprocess --in work/raw.samples --train-out work/train.samples \\\n"
      "    --test-out work/test.samples --test-raw-out work/test_raw.samples \\\n"
      "    --test-size 0.2 --seed 42 --deskew true");
  app.add_option("--in", o.in, "samples from digits-load")->capture_default_str();
  app.add_option("--train-out", o.train_out, "train samples to write")->capture_default_str();
  app.add_option("--test-out", o.test_out, "test samples to write")->capture_default_str();
  app.add_option("--test-raw-out", o.test_raw_out, "test samples before preprocessing")
      ->capture_default_str();
  app.add_option("--test-size", o.test_size, "share of samples held out for testing")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "shuffle seed")->capture_default_str();
  app.add_option("--deskew", o.deskew, "deskew with image moments (true/false)")
      ->capture_default_str();
  return conveyor::digits::RunStage(app, argc, argv,
                                    [&] { return conveyor::digits::Preprocess(o); });
}
