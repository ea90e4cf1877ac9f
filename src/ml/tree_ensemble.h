// TreeEnsemble: a multi-class gradient-boosted tree ensemble compiled from an
// XGBoost model into flat arrays, for fast prediction of a few rows at a time.
//
// Why: for one row, XGBoost's in-place prediction spends most of its time
// around the trees rather than in them (parsing the array-interface JSON,
// setting up its block kernel and thread-local buffers). Walking the trees
// ourselves, eight at a time with no branches, costs a fraction of that
// (docs/serving.md, "The compiled XGBoost predictor", has the figures).
//
// Exactness: the result is the one XGBoost computes, bit for bit where the
// order of float operations allows it: the same comparisons (a value goes
// left when `value < threshold`, a missing (NaN) value follows the node's
// default direction), margins summed in float in tree order starting from
// base_score, and XGBoost's softmax (subtract the largest margin, expf, sum in
// float, divide). XgboostClassifier compares the two on load and keeps
// XGBoost's own predictor if they ever differ.
//
// What compiles: gbtree boosters (any num_parallel_tree) with objective
// multi:softprob or multi:softmax, numerical splits, one output per tree.
// Anything else (dart, categorical splits, vector leaves, other objectives)
// is an error naming the feature, and the caller keeps using
// XGBoost.
//
// Thread safety: immutable after construction; PredictProba may be called
// from any number of threads at once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ml/classifier.h"

namespace conveyor::ml {

class TreeEnsemble {
 public:
  // Compiles an XGBoost model document: JSON text as XGBoost saves it (its
  // floats are the shortest digits of each binary32 value, read back
  // exactly) or UBJSON (XGBoosterSaveModelToBuffer with {"format": "ubj"}).
  static Result<TreeEnsemble> FromXgboostModel(std::string_view document);

  // Class probabilities of every row, written to `out` (rows x
  // num_classes(), row-major). `features.cols` must equal num_features().
  Status PredictProba(const DenseMatrix& features, std::span<float> out) const;

  // `count` rows that exercise the splits: each feature is 0, one of the
  // model's thresholds on it, the float just below one, or (in some rows)
  // missing (NaN). Deterministic for a given `seed`. For checking this
  // predictor against XGBoost's.
  std::vector<float> ProbeRows(size_t count, uint64_t seed) const;

  int num_classes() const { return num_classes_; }
  size_t num_features() const { return num_features_; }
  size_t num_trees() const { return tree_class_.size(); }
  size_t num_nodes() const { return nodes_.size(); }
  int max_depth() const { return max_depth_; }

 private:
  // A node of the flattened forest. An internal node's children sit side by
  // side: `left` and `left + 1`. A leaf points to itself and has a NaN
  // threshold, so that any number of extra steps keep it where it is
  // (`value >= NaN` is false).
  struct Node {
    uint32_t feature;  // kDefaultLeft | feature index
    float threshold;
    uint32_t left;
  };
  static constexpr uint32_t kDefaultLeft = 0x80000000U;
  static constexpr uint32_t kFeatureMask = 0x7fffffffU;

  // Up to kLanes trees walked together for `depth` steps.
  struct Group {
    uint32_t first;  // index into walk_order_
    uint32_t count;
    uint32_t depth;
  };

  friend class TreeEnsembleBuilder;

  void MarginsOfRow(const float* row, float* __restrict leaves, float* __restrict margins) const;

  int num_classes_ = 0;
  size_t num_features_ = 0;
  int max_depth_ = 0;
  float base_score_ = 0;
  bool round_robin_ = false;  // tree t belongs to class t % num_classes_
  std::vector<Node> nodes_;
  std::vector<float> leaf_value_;     // per node; 0 for internal nodes
  std::vector<uint32_t> root_;        // per tree
  std::vector<uint32_t> tree_class_;  // per tree: the class its output adds to
  std::vector<uint32_t> walk_order_;  // trees sorted by depth
  std::vector<Group> groups_;         // over walk_order_
};

}  // namespace conveyor::ml
