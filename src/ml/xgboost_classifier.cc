#include "ml/xgboost_classifier.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "ml/backend_threads.h"

namespace conveyor::ml {
namespace {

// XGBoost's last error as one line: its first, without the
// "[19:17:18] ./src/common/json.cc:407: " prefix. The lines after it (the
// input around the fault, a native stack trace) do not belong in an error
// message that reaches a CLI line or an HTTP answer.
std::string LastXgbError() {
  std::string_view text = XGBGetLastError();
  text = text.substr(0, text.find('\n'));
  if (text.starts_with('[')) {
    const size_t time_end = text.find("] ");
    const size_t where_end = text.find(": ", time_end);
    if (time_end != std::string_view::npos && where_end != std::string_view::npos &&
        text.substr(time_end + 2, where_end - time_end - 2).find(' ') == std::string_view::npos) {
      text.remove_prefix(where_end + 2);
    }
  }
  return std::string(text);
}

Status XgbError(int rc, std::string_view what) {
  if (rc == 0) {
    return OkStatus();
  }
  return Error(Code::kFailed, "xgboost: {}: {}", what, LastXgbError());
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

// The proxy DMatrix in-place prediction puts the array into. Without one,
// XGBoost 1.7 makes a new proxy per call, and a proxy's constructor reads the
// cgroup CPU quota files under /sys (two opens and reads per prediction:
// ~10 us). A proxy only carries the data of the call in progress and belongs
// to no booster, so each thread keeps one for its lifetime.
DMatrixHandle ThreadProxy() {
  struct Proxy {
    DMatrixHandle handle = nullptr;
    Proxy() {
      if (XGProxyDMatrixCreate(&handle) != 0) {
        handle = nullptr;  // predict without one: slower, still correct
      }
    }
    ~Proxy() {
      if (handle != nullptr) {
        XGDMatrixFree(handle);
      }
    }
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;
  };
  thread_local Proxy proxy;
  return proxy.handle;
}

// The environment variable that chooses the predictor.
constexpr char kPredictorVariable[] = "CONVEYOR_XGBOOST_PREDICTOR";
// Rows Compile() checks the compiled trees on, and how close they must come.
constexpr size_t kProbeRows = 64;
constexpr float kProbeTolerance = 1e-6F;

}  // namespace

XgboostClassifier::XgboostClassifier(void* booster, int num_class)
    : booster_(booster), num_class_(num_class), predictor_("xgboost") {}

void XgboostClassifier::Compile(std::string_view source) {
  const char* choice = std::getenv(kPredictorVariable);
  if (choice != nullptr && std::string_view(choice) == "xgboost") {
    predictor_ = fmt::format("xgboost ({}=xgboost)", kPredictorVariable);
    return;
  }
  // The bytes the booster was loaded from, when they are JSON or UBJSON;
  // otherwise (XGBoost's old binary format, a trained booster) its export.
  Result<TreeEnsemble> compiled = Error(Code::kInvalid, "no model document");
  if (!source.empty()) {
    compiled = TreeEnsemble::FromXgboostModel(source);
  }
  if (!compiled.ok()) {
    bst_ulong len = 0;
    const char* data = nullptr;
    if (XGBoosterSaveModelToBuffer(booster_, R"({"format": "ubj"})", &len, &data) != 0) {
      predictor_ = fmt::format("xgboost (cannot export the trees: {})", LastXgbError());
      return;
    }
    compiled = TreeEnsemble::FromXgboostModel({data, size_t{len}});
  }
  if (!compiled.ok()) {
    predictor_ = fmt::format("xgboost ({})", compiled.status().message());
    return;
  }
  if (compiled->num_classes() != num_class_) {
    predictor_ = fmt::format("xgboost (the compiled trees have {} classes, the booster {})",
                             compiled->num_classes(), num_class_);
    return;
  }
  const std::vector<float> probe = compiled->ProbeRows(kProbeRows, /*seed=*/1);
  const DenseMatrix rows{kProbeRows, compiled->num_features(), probe};
  auto expected = PredictProbaWithXgboost(rows);
  std::vector<float> got(kProbeRows * static_cast<size_t>(num_class_));
  if (!expected.ok() || !compiled->PredictProba(rows, got).ok()) {
    predictor_ = "xgboost (the probe rows could not be predicted)";
    return;
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(std::fabs(got[i] - (*expected)[i]) <= kProbeTolerance)) {
      predictor_ = fmt::format(
          "xgboost (the compiled trees disagree with XGBoost on probe row {}: {} vs {})",
          i / static_cast<size_t>(num_class_), got[i], (*expected)[i]);
      return;
    }
  }
  compiled_ = std::make_unique<const TreeEnsemble>(std::move(*compiled));
  predictor_ = "compiled";
}

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

Result<std::unique_ptr<XgboostClassifier>> XgboostClassifier::FromBooster(void* handle,
                                                                          std::string_view source) {
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
  if (const int threads = BackendThreads(); threads > 0) {
    RETURN_IF_ERROR(
        XgbError(XGBoosterSetParam(booster.handle, "nthread", std::to_string(threads).c_str()),
                 "setting nthread"));
  }
  auto model =
      std::unique_ptr<XgboostClassifier>(new XgboostClassifier(booster.release(), num_class));
  model->Compile(source);
  return model;
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
  return FromBooster(booster.release(), json);
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
  if (compiled_ != nullptr && features.cols == compiled_->num_features()) {
    std::vector<float> out(features.rows * static_cast<size_t>(num_class_));
    RETURN_IF_ERROR(compiled_->PredictProba(features, out));
    return out;
  }
  return PredictProbaWithXgboost(features);
}

Result<std::vector<float>> XgboostClassifier::PredictProbaWithXgboost(
    const DenseMatrix& features) const {
  if (features.values.size() != features.rows * features.cols) {
    return Error(Code::kInvalid, "feature matrix {}x{} needs {} values, found {}", features.rows,
                 features.cols, features.rows * features.cols, features.values.size());
  }
  if (features.rows == 0) {
    return std::vector<float>{};
  }
  // In-place prediction straight from our buffer (numpy's array interface,
  // version 3, little-endian float32): no DMatrix is built per request.
  const std::string array = fmt::format(
      R"({{"data": [{}, true], "shape": [{}, {}], "typestr": "<f4", "version": 3}})",
      reinterpret_cast<uintptr_t>(features.values.data()), features.rows, features.cols);
  static constexpr char kConfig[] =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0,)"
      R"( "strict_shape": true, "missing": NaN, "cache_id": 0})";
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* out = nullptr;
  RETURN_IF_ERROR(XgbError(XGBoosterPredictFromDense(booster_, array.c_str(), kConfig,
                                                     ThreadProxy(), &shape, &dims, &out),
                           "predicting"));
  if (dims != 2 || shape[0] != features.rows || shape[1] != static_cast<bst_ulong>(num_class_)) {
    return Error(Code::kInternal, "xgboost: prediction of {} rows of {} classes has shape {}",
                 features.rows, num_class_,
                 dims == 2 ? fmt::format("[{}, {}]", shape[0], shape[1])
                           : fmt::format("of {} dimensions", dims));
  }
  return std::vector<float>(out, out + features.rows * static_cast<size_t>(num_class_));
}

}  // namespace conveyor::ml
