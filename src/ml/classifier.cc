#include "ml/classifier.h"

#include <fmt/ranges.h>

#include <algorithm>

#include "ml/model_spec.h"
#include "ml/onnx_classifier.h"
#include "ml/xgboost_classifier.h"

namespace conveyor::ml {
namespace {

using Loader = Result<std::unique_ptr<Classifier>> (*)(const ModelSpec& spec,
                                                       const std::filesystem::path& file);

template <typename T>
Result<std::unique_ptr<Classifier>> Upcast(Result<std::unique_ptr<T>> loaded) {
  ASSIGN_OR_RETURN(std::unique_ptr<T> model, std::move(loaded));
  return std::unique_ptr<Classifier>(std::move(model));
}

Result<std::unique_ptr<Classifier>> LoadXgboost(const ModelSpec& /*spec*/,
                                                const std::filesystem::path& file) {
  return Upcast(XgboostClassifier::Load(file));
}

Result<std::unique_ptr<Classifier>> LoadOnnx(const ModelSpec& spec,
                                             const std::filesystem::path& file) {
  return Upcast(OnnxClassifier::Load(file, {.rows = spec.input.rows, .cols = spec.input.cols}));
}

struct Backend {
  std::string_view name;
  Loader load;
};

// The backend registry: one line per backend.
constexpr Backend kBackends[] = {
    {"xgboost", &LoadXgboost},
    {"onnx", &LoadOnnx},
};

}  // namespace

Result<std::vector<int32_t>> Classifier::Predict(const DenseMatrix& features) const {
  ASSIGN_OR_RETURN(std::vector<float> proba, PredictProba(features));
  const auto k = static_cast<size_t>(num_classes());
  std::vector<int32_t> out(features.rows);
  for (size_t r = 0; r < features.rows; ++r) {
    const auto row = proba.begin() + static_cast<ptrdiff_t>(r * k);
    out[r] = static_cast<int32_t>(std::max_element(row, row + static_cast<ptrdiff_t>(k)) - row);
  }
  return out;
}

std::vector<std::string_view> ClassifierBackends() {
  std::vector<std::string_view> names;
  for (const Backend& b : kBackends) {
    names.push_back(b.name);
  }
  return names;
}

Result<std::unique_ptr<Classifier>> LoadClassifier(const ModelSpec& spec,
                                                   const std::filesystem::path& model_dir) {
  const std::string spec_path = (model_dir / "model.yaml").string();
  const auto* backend = std::find_if(std::begin(kBackends), std::end(kBackends),
                                     [&](const Backend& b) { return b.name == spec.backend; });
  if (backend == std::end(kBackends)) {
    return Error(Code::kInvalid, "{}: unknown backend '{}' (known: {})", spec_path, spec.backend,
                 fmt::join(ClassifierBackends(), ", "));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Classifier> model,
                   backend->load(spec, model_dir / spec.model_file));
  if (model->num_classes() != static_cast<int>(spec.labels.size())) {
    return Error(Code::kInvalid, "{}: {} labels but the model has {} classes", spec_path,
                 spec.labels.size(), model->num_classes());
  }
  return model;
}

}  // namespace conveyor::ml
