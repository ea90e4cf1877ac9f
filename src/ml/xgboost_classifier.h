// XgboostClassifier: a multi-class gradient-boosted tree model through
// XGBoost's C API (objective multi:softprob), kept out of this header.
//
// Ownership: the object owns its booster handle and frees it on destruction.
// Thread safety: Predict may be called from several threads at once (XGBoost's
// prediction is thread-safe for a booster that is not being trained); Train,
// Load and Save are not to be run concurrently with anything else on the same
// object. Every XGBoost failure is a Status carrying XGBGetLastError()'s text.
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

 private:
  XgboostClassifier(void* booster, int num_class) : booster_(booster), num_class_(num_class) {}
  static Result<std::unique_ptr<XgboostClassifier>> FromBooster(void* booster);

  void* booster_;  // BoosterHandle, owned
  int num_class_;
};

}  // namespace conveyor::ml
