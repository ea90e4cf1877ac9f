#include "ml/xgboost_classifier.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace conveyor::ml {
namespace {

Status XgbError(int rc, std::string_view what) {
  if (rc == 0) {
    return OkStatus();
  }
  return Error(Code::kFailed, "xgboost: {}: {}", what, XGBGetLastError());
}

// RAII for a DMatrixHandle.
class DMatrix {
 public:
  DMatrix() = default;
  ~DMatrix() {
    if (handle_ != nullptr) {
      XGDMatrixFree(handle_);
    }
  }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle* out() { return &handle_; }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

Status MakeDMatrix(const DenseMatrix& m, DMatrix& out) {
  if (m.values.size() != m.rows * m.cols) {
    return Error(Code::kInvalid, "feature matrix {}x{} needs {} values, found {}", m.rows, m.cols,
                 m.rows * m.cols, m.values.size());
  }
  return XgbError(XGDMatrixCreateFromMat(m.values.data(), m.rows, m.cols,
                                         std::numeric_limits<float>::quiet_NaN(), out.out()),
                  "creating the feature matrix");
}

// Frees a booster handle unless released.
struct BoosterGuard {
  BoosterHandle handle = nullptr;
  ~BoosterGuard() {
    if (handle != nullptr) {
      XGBoosterFree(handle);
    }
  }
  BoosterHandle release() {
    BoosterHandle h = handle;
    handle = nullptr;
    return h;
  }
};

}  // namespace

XgboostClassifier::~XgboostClassifier() {
  if (booster_ != nullptr) {
    XGBoosterFree(booster_);
  }
}

Result<std::unique_ptr<XgboostClassifier>> XgboostClassifier::Train(
    const XgboostParams& params, const DenseMatrix& features, std::span<const int32_t> labels) {
  if (labels.size() != features.rows) {
    return Error(Code::kInvalid, "{} labels for {} feature rows", labels.size(), features.rows);
  }
  if (params.num_class < 2) {
    return Error(Code::kInvalid, "num_class must be at least 2, got {}", params.num_class);
  }
  if (params.n_estimators < 1) {
    return Error(Code::kInvalid, "n_estimators must be at least 1, got {}", params.n_estimators);
  }
  std::vector<float> label_values;
  label_values.reserve(labels.size());
  for (int32_t label : labels) {
    if (label < 0 || label >= params.num_class) {
      return Error(Code::kInvalid, "label {} is outside 0..{}", label, params.num_class - 1);
    }
    label_values.push_back(static_cast<float>(label));
  }
  DMatrix train;
  RETURN_IF_ERROR(MakeDMatrix(features, train));
  RETURN_IF_ERROR(XgbError(
      XGDMatrixSetFloatInfo(train.get(), "label", label_values.data(), label_values.size()),
      "setting labels"));

  BoosterGuard booster;
  DMatrixHandle cache[] = {train.get()};
  RETURN_IF_ERROR(XgbError(XGBoosterCreate(cache, 1, &booster.handle), "creating the booster"));
  const std::pair<std::string, std::string> settings[] = {
      {"objective", "multi:softprob"},
      {"num_class", std::to_string(params.num_class)},
      {"max_depth", std::to_string(params.max_depth)},
      {"eta", fmt::format("{}", params.learning_rate)},
      {"tree_method", params.tree_method},
      {"seed", std::to_string(params.seed)},
      {"nthread", std::to_string(params.nthread)},
      {"verbosity", "1"},
  };
  for (const auto& [name, value] : settings) {
    RETURN_IF_ERROR(XgbError(XGBoosterSetParam(booster.handle, name.c_str(), value.c_str()),
                             fmt::format("setting {}={}", name, value)));
  }
  for (int iter = 0; iter < params.n_estimators; ++iter) {
    RETURN_IF_ERROR(XgbError(XGBoosterUpdateOneIter(booster.handle, iter, train.get()),
                             fmt::format("boosting round {}", iter)));
  }
  return std::unique_ptr<XgboostClassifier>(
      new XgboostClassifier(booster.release(), params.num_class));
}

Result<std::unique_ptr<XgboostClassifier>> XgboostClassifier::FromBooster(void* handle) {
  BoosterGuard booster{handle};
  bst_ulong len = 0;
  const char* config = nullptr;
  RETURN_IF_ERROR(XgbError(XGBoosterSaveJsonConfig(booster.handle, &len, &config),
                           "reading the model configuration"));
  int num_class = 0;
  try {
    const auto json = nlohmann::json::parse(std::string_view(config, len));
    num_class =
        std::stoi(json.at("learner").at("learner_model_param").at("num_class").get<std::string>());
  } catch (const std::exception& e) {
    return Error(Code::kInvalid, "xgboost: cannot read num_class from the model: {}", e.what());
  }
  if (num_class < 2) {
    return Error(Code::kInvalid,
                 "xgboost: the model is not a multi-class classifier (num_class {})", num_class);
  }
  return std::unique_ptr<XgboostClassifier>(new XgboostClassifier(booster.release(), num_class));
}

Result<std::unique_ptr<XgboostClassifier>> XgboostClassifier::Load(
    const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  auto model = LoadFromJson(bytes);
  if (!model.ok()) {
    return model.status().WithContext(path.string());
  }
  return model;
}

Result<std::unique_ptr<XgboostClassifier>> XgboostClassifier::LoadFromJson(
    const std::string& json) {
  BoosterGuard booster;
  RETURN_IF_ERROR(XgbError(XGBoosterCreate(nullptr, 0, &booster.handle), "creating the booster"));
  RETURN_IF_ERROR(XgbError(XGBoosterLoadModelFromBuffer(booster.handle, json.data(), json.size()),
                           "loading the model"));
  return FromBooster(booster.release());
}

Result<std::string> XgboostClassifier::SaveToJson() const {
  bst_ulong len = 0;
  const char* data = nullptr;
  RETURN_IF_ERROR(XgbError(
      XGBoosterSaveModelToBuffer(booster_, R"({"format": "json"})", &len, &data), "saving"));
  return std::string(data, len);
}

Status XgboostClassifier::Save(const std::filesystem::path& path) const {
  ASSIGN_OR_RETURN(std::string json, SaveToJson());
  return AtomicWriteFile(path, json);
}

Result<std::vector<float>> XgboostClassifier::PredictProba(const DenseMatrix& features) const {
  DMatrix matrix;
  RETURN_IF_ERROR(MakeDMatrix(features, matrix));
  bst_ulong len = 0;
  const float* out = nullptr;
  RETURN_IF_ERROR(
      XgbError(XGBoosterPredict(booster_, matrix.get(), 0, 0, 0, &len, &out), "predicting"));
  if (len != features.rows * static_cast<size_t>(num_class_)) {
    return Error(Code::kInternal, "xgboost: {} probabilities for {} rows of {} classes", len,
                 features.rows, num_class_);
  }
  return std::vector<float>(out, out + len);
}

}  // namespace conveyor::ml
