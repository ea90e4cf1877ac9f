// XgboostClassifier: a multi-class gradient-boosted tree model through
// XGBoost's C API (objective multi:softprob), kept out of this header.
//
// Ownership: the object owns its booster handle and frees it on destruction.
// Thread safety: Predict may be called from several threads at once (XGBoost's
// prediction is thread-safe for a booster that is not being trained); Train,
// Load and Save are not to be run concurrently with anything else on the same
// object. Every XGBoost failure is a Status carrying XGBGetLastError()'s text.
//
// Prediction: by default through TreeEnsemble (tree_ensemble.h), a compiled
// copy of the trees that gives XGBoost's results several times faster for
// single rows. It is built when the model is loaded and used only after it
// agreed with XGBoost's own predictor on probe rows (thresholds, the floats
// just below them, missing values); otherwise, or with the environment
// variable CONVEYOR_XGBOOST_PREDICTOR=xgboost, XGBoost predicts. predictor()
// says which one is in use and why.
//
// Determinism: with subsample = colsample = 1 (the defaults here) training
// draws no random numbers, and `seed` is passed anyway. With tree_method
// "exact" or "hist" on CPU the result does not depend on `nthread` in
// XGBoost 1.7 apart from floating-point summation order in histogram
// building, which can change the last bits of leaf values between thread
// counts; the same thread count gives the same model bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "ml/classifier.h"
#include "ml/tree_ensemble.h"

namespace conveyor::ml {

struct XgboostParams {
  int num_class = 10;                // number of classes, labels are 0..num_class-1
  int n_estimators = 100;            // boosting rounds (each adds num_class trees)
  int max_depth = 6;                 // maximum depth of a tree
  double learning_rate = 0.3;        // shrinkage ("eta")
  std::string tree_method = "hist";  // "hist", "approx" or "exact"
  int64_t seed = 0;                  // random seed
  int nthread = 0;                   // threads; 0 lets XGBoost use all cores
};

class XgboostClassifier : public Classifier {
 public:
  // Trains on `features` (one row per sample) with `labels` in 0..num_class-1.
  static Result<std::unique_ptr<XgboostClassifier>> Train(const XgboostParams& params,
                                                          const DenseMatrix& features,
                                                          std::span<const int32_t> labels);
  // Loads a model saved by Save (XGBoost JSON or binary).
  static Result<std::unique_ptr<XgboostClassifier>> Load(const std::filesystem::path& path);
  // Loads from in-memory XGBoost JSON.
  static Result<std::unique_ptr<XgboostClassifier>> LoadFromJson(const std::string& json);

  ~XgboostClassifier() override;
  XgboostClassifier(const XgboostClassifier&) = delete;
  XgboostClassifier& operator=(const XgboostClassifier&) = delete;

  // Saves as XGBoost JSON (written to a temporary file, then renamed).
  Status Save(const std::filesystem::path& path) const;
  Result<std::string> SaveToJson() const;

  // Class probabilities, rows x num_classes() row-major.
  Result<std::vector<float>> PredictProba(const DenseMatrix& features) const override;

  int num_classes() const override { return num_class_; }

  // "compiled" or "xgboost", and for "xgboost" why the compiled predictor is
  // not used ("xgboost (CONVEYOR_XGBOOST_PREDICTOR=xgboost)").
  const std::string& predictor() const { return predictor_; }

  // Probabilities from XGBoost's own predictor, whatever predictor() says.
  Result<std::vector<float>> PredictProbaWithXgboost(const DenseMatrix& features) const;

 private:
  XgboostClassifier(void* booster, int num_class);
  // `source`: the model document the booster was loaded from, if any.
  static Result<std::unique_ptr<XgboostClassifier>> FromBooster(void* booster,
                                                                std::string_view source);
  // Builds compiled_ from `source` or else the booster's export, when it
  // agrees with XGBoost; sets predictor_.
  void Compile(std::string_view source);

  void* booster_;  // BoosterHandle, owned
  int num_class_;
  std::unique_ptr<const TreeEnsemble> compiled_;  // null: XGBoost predicts
  std::string predictor_;
};

}  // namespace conveyor::ml
