#include "ml/tree_ensemble.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

namespace conveyor::ml {
namespace {

using Json = nlohmann::json;

// Trees walked side by side: enough independent load chains to hide the
// latency of each step, few enough to stay in registers.
constexpr uint32_t kLanes = 8;
// Deeper trees are rejected: the walk costs max depth steps per group.
constexpr uint32_t kMaxDepth = 64;
// nodes_[0]: a leaf worth 0 that pads the last group.
constexpr uint32_t kPadLeaf = 0;

Status Unsupported(std::string_view what) {
  return Error(Code::kInvalid, "xgboost model: {} is not supported by the compiled predictor",
               what);
}

// What the compiler needs of one tree, as the model stores it.
struct RawTree {
  std::vector<double> left, right, feature, condition, default_left, split_type;
  std::string size_leaf_vector = "0";
};

// What the compiler needs of the model document.
struct RawModel {
  std::string objective, booster;
  std::string base_score, num_class, num_feature, num_target = "1";
  std::vector<double> tree_info;
  std::vector<RawTree> trees;
};

// Reads the parts of XGBoost's model document the compiler needs, from JSON
// text or UBJSON, with nlohmann's SAX interface: no document tree is built
// (the digits model is 1.8 MB and 150,000 numbers), and floats in JSON text
// are read from their digits straight to float, as XGBoost wrote them.
class ModelReader : public nlohmann::json_sax<Json> {
 public:
  explicit ModelReader(RawModel& out) : out_(out) {}

  // JSON has no NaN; a null among numbers stands for one.
  bool null() override { return Number(std::numeric_limits<double>::quiet_NaN()); }
  bool boolean(bool value) override { return Number(value ? 1.0 : 0.0); }
  bool number_integer(number_integer_t value) override {
    return Number(static_cast<double>(value));
  }
  bool number_unsigned(number_unsigned_t value) override {
    return Number(static_cast<double>(value));
  }
  bool number_float(number_float_t value, const string_t& text) override {
    float exact = 0;
    if (!text.empty()) {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), exact);
      if (ec == std::errc() && end == text.data() + text.size()) {
        return Number(exact);
      }
    }
    return Number(value);
  }
  bool string(string_t& value) override {
    if (std::string* target = StringTarget(); target != nullptr) {
      *target = std::move(value);
    }
    return true;
  }
  bool binary(binary_t& /*value*/) override { return true; }
  bool start_object(std::size_t /*elements*/) override {
    Enter(false);
    return true;
  }
  bool key(string_t& value) override {
    frames_.back().key = std::move(value);
    return true;
  }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t /*elements*/) override {
    Enter(true);
    return true;
  }
  bool end_array() override { return Leave(); }
  bool parse_error(std::size_t position, const std::string& /*token*/,
                   const nlohmann::detail::exception& e) override {
    error_ = fmt::format("at byte {}: {}", position, e.what());
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  struct Frame {
    bool array = false;
    std::string key;                         // objects: the current member's name
    std::vector<double>* numbers = nullptr;  // where this array's numbers go
  };

  // The name of the member at `depth` (0: the document's top level), or ""
  // when that level is an array or deeper than the stack.
  std::string_view KeyAt(size_t depth) const {
    return depth < frames_.size() && !frames_[depth].array ? frames_[depth].key
                                                           : std::string_view();
  }
  bool At(std::initializer_list<std::string_view> keys) const {
    if (frames_.size() != keys.size()) {
      return false;
    }
    size_t depth = 0;
    for (std::string_view key : keys) {
      if (KeyAt(depth++) != key) {
        return false;
      }
    }
    return true;
  }
  // Inside a tree: learner / gradient_booster / model / trees / [i] / and
  // `extra` more levels. frames_[d].key is the member being read at depth d.
  bool InTree(size_t extra) const {
    return frames_.size() == 6 + extra && KeyAt(0) == "learner" && KeyAt(1) == "gradient_booster" &&
           KeyAt(2) == "model" && KeyAt(3) == "trees" && frames_[4].array;
  }

  std::string* StringTarget() {
    if (At({"learner", "objective", "name"})) {
      return &out_.objective;
    }
    if (frames_.size() == 3 && KeyAt(0) == "learner" && KeyAt(1) == "learner_model_param") {
      const std::string& key = frames_.back().key;
      return key == "base_score"    ? &out_.base_score
             : key == "num_class"   ? &out_.num_class
             : key == "num_feature" ? &out_.num_feature
             : key == "num_target"  ? &out_.num_target
                                    : nullptr;
    }
    if (At({"learner", "gradient_booster", "name"})) {
      return &out_.booster;
    }
    if (InTree(1) && KeyAt(5) == "tree_param" && frames_.back().key == "size_leaf_vector") {
      return &out_.trees.back().size_leaf_vector;
    }
    return nullptr;
  }

  std::vector<double>* ArrayTarget() {
    if (At({"learner", "gradient_booster", "model", "tree_info"})) {
      return &out_.tree_info;
    }
    if (!InTree(0) || out_.trees.empty()) {
      return nullptr;
    }
    RawTree& tree = out_.trees.back();
    const std::string& key = frames_.back().key;
    return key == "left_children"      ? &tree.left
           : key == "right_children"   ? &tree.right
           : key == "split_indices"    ? &tree.feature
           : key == "split_conditions" ? &tree.condition
           : key == "default_left"     ? &tree.default_left
           : key == "split_type"       ? &tree.split_type
                                       : nullptr;
  }

  void Enter(bool array) {
    if (!array && frames_.size() == 5 && frames_[4].array && KeyAt(0) == "learner" &&
        KeyAt(1) == "gradient_booster" && KeyAt(2) == "model" && KeyAt(3) == "trees") {
      out_.trees.emplace_back();  // a tree starts
    }
    std::vector<double>* numbers =
        array && !frames_.empty() && !frames_.back().array ? ArrayTarget() : nullptr;
    frames_.push_back({array, {}, numbers});
  }
  bool Leave() {
    frames_.pop_back();
    return true;
  }
  bool Number(double value) {
    if (!frames_.empty() && frames_.back().numbers != nullptr) {
      frames_.back().numbers->push_back(value);
    }
    return true;
  }

  RawModel& out_;
  std::vector<Frame> frames_;
  std::string error_;
};

template <typename T>
Result<T> ParseParam(const std::string& text, const char* name) {
  if (text.empty()) {
    return Error(Code::kInvalid, "xgboost model: missing \"{}\"", name);
  }
  T parsed{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Error(Code::kInvalid, "xgboost model: \"{}\" is not a number: \"{}\"", name, text);
  }
  return parsed;
}

// A node array's entry as an index (child, feature), or -2 when it is not a
// whole number in range.
int64_t Index(double value) {
  if (!(value >= -1.0 && value < 2147483648.0) || value != std::floor(value)) {
    return -2;
  }
  return static_cast<int64_t>(value);
}

}  // namespace

// Flattens XGBoost's trees into TreeEnsemble's arrays.
class TreeEnsembleBuilder {
 public:
  explicit TreeEnsembleBuilder(TreeEnsemble& out) : out_(out) {}

  Status Build(const RawModel& model) {
    if (model.objective.empty()) {
      return Error(Code::kInvalid, "xgboost model: no objective name");
    }
    if (model.objective != "multi:softprob") {
      return Unsupported(fmt::format("objective \"{}\"", model.objective));
    }
    ASSIGN_OR_RETURN(out_.num_classes_, ParseParam<int>(model.num_class, "num_class"));
    ASSIGN_OR_RETURN(out_.num_features_, ParseParam<size_t>(model.num_feature, "num_feature"));
    ASSIGN_OR_RETURN(out_.base_score_, ParseParam<float>(model.base_score, "base_score"));
    ASSIGN_OR_RETURN(int targets, ParseParam<int>(model.num_target, "num_target"));
    if (targets != 1) {
      return Unsupported(fmt::format("{} targets", targets));
    }
    if (out_.num_classes_ < 2 || out_.num_features_ == 0 ||
        out_.num_features_ > TreeEnsemble::kFeatureMask) {
      return Error(Code::kInvalid, "xgboost model: {} classes of {} features", out_.num_classes_,
                   out_.num_features_);
    }
    if (model.booster.empty()) {
      return Error(Code::kInvalid, "xgboost model: no gradient booster name");
    }
    if (model.booster != "gbtree") {
      return Unsupported(fmt::format("booster \"{}\"", model.booster));
    }
    if (model.trees.size() != model.tree_info.size()) {
      return Error(Code::kInvalid, "xgboost model: {} trees but {} tree_info entries",
                   model.trees.size(), model.tree_info.size());
    }

    // The padding leaf.
    out_.nodes_.push_back({0, std::numeric_limits<float>::quiet_NaN(), kPadLeaf});
    out_.leaf_value_.push_back(0.0F);
    std::vector<uint32_t> depths;
    depths.reserve(model.trees.size());
    for (size_t t = 0; t < model.trees.size(); ++t) {
      const int64_t klass = Index(model.tree_info[t]);
      if (klass < 0 || klass >= out_.num_classes_) {
        return Error(Code::kInvalid, "xgboost model: tree {} belongs to no class 0..{}", t,
                     out_.num_classes_ - 1);
      }
      out_.tree_class_.push_back(static_cast<uint32_t>(klass));
      ASSIGN_OR_RETURN(uint32_t depth, AddTree(model.trees[t], t));
      depths.push_back(depth);
      out_.max_depth_ = std::max(out_.max_depth_, static_cast<int>(depth));
    }
    if (out_.nodes_.size() > std::numeric_limits<uint32_t>::max() / 2) {
      return Unsupported("a forest of more than 2^31 nodes");
    }
    out_.round_robin_ = out_.tree_class_.size() % static_cast<size_t>(out_.num_classes_) == 0;
    for (size_t t = 0; t < out_.tree_class_.size() && out_.round_robin_; ++t) {
      out_.round_robin_ = out_.tree_class_[t] == t % static_cast<size_t>(out_.num_classes_);
    }

    // Walk shallow trees with shallow trees: a group costs its deepest tree.
    out_.walk_order_.resize(depths.size());
    std::iota(out_.walk_order_.begin(), out_.walk_order_.end(), 0U);
    std::stable_sort(out_.walk_order_.begin(), out_.walk_order_.end(),
                     [&](uint32_t a, uint32_t b) { return depths[a] < depths[b]; });
    for (uint32_t first = 0; first < out_.walk_order_.size(); first += kLanes) {
      const auto count =
          std::min<uint32_t>(kLanes, static_cast<uint32_t>(out_.walk_order_.size()) - first);
      out_.groups_.push_back({first, count, depths[out_.walk_order_[first + count - 1]]});
    }
    return OkStatus();
  }

 private:
  // Appends one tree breadth first, children of a node side by side.
  // Returns its depth.
  Result<uint32_t> AddTree(const RawTree& tree, size_t t) {
    ASSIGN_OR_RETURN(int leaf_vector, ParseParam<int>(tree.size_leaf_vector, "size_leaf_vector"));
    if (leaf_vector > 1) {
      return Unsupported("vector leaves");
    }
    const size_t n = tree.left.size();
    if (n == 0 || tree.right.size() != n || tree.feature.size() != n ||
        tree.condition.size() != n || tree.default_left.size() != n) {
      return Error(Code::kInvalid, "xgboost model: tree {} has node arrays of different lengths",
                   t);
    }
    if (std::any_of(tree.split_type.begin(), tree.split_type.end(),
                    [](double s) { return s != 0; })) {
      return Unsupported("a categorical split");
    }

    struct Pending {
      size_t source;
      uint32_t target;
      uint32_t depth;
    };
    std::vector<bool> seen(n, false);
    std::vector<Pending> queue;
    const auto root = static_cast<uint32_t>(out_.nodes_.size());
    out_.root_.push_back(root);
    out_.nodes_.emplace_back();
    out_.leaf_value_.push_back(0.0F);
    queue.push_back({0, root, 0});
    uint32_t depth = 0;
    for (size_t next = 0; next < queue.size(); ++next) {
      const Pending p = queue[next];
      if (seen[p.source]) {
        return Error(Code::kInvalid, "xgboost model: tree {}: node {} is reached twice", t,
                     p.source);
      }
      seen[p.source] = true;
      depth = std::max(depth, p.depth);
      const auto condition = static_cast<float>(tree.condition[p.source]);
      if (tree.left[p.source] == -1) {
        out_.nodes_[p.target] = {0, std::numeric_limits<float>::quiet_NaN(), p.target};
        out_.leaf_value_[p.target] = condition;
        continue;
      }
      const int64_t l = Index(tree.left[p.source]);
      const int64_t r = Index(tree.right[p.source]);
      const int64_t f = Index(tree.feature[p.source]);
      if (l < 0 || r < 0 || static_cast<size_t>(l) >= n || static_cast<size_t>(r) >= n) {
        return Error(Code::kInvalid, "xgboost model: tree {}: node {} has children {} and {}", t,
                     p.source, tree.left[p.source], tree.right[p.source]);
      }
      if (f < 0 || static_cast<size_t>(f) >= out_.num_features_) {
        return Error(Code::kInvalid, "xgboost model: tree {}: node {} splits on feature {} of {}",
                     t, p.source, tree.feature[p.source], out_.num_features_);
      }
      if (std::isnan(condition)) {
        return Unsupported("a NaN split threshold");
      }
      if (p.depth + 1 > kMaxDepth) {
        return Unsupported(fmt::format("a tree deeper than {}", kMaxDepth));
      }
      const auto children = static_cast<uint32_t>(out_.nodes_.size());
      out_.nodes_.resize(out_.nodes_.size() + 2);
      out_.leaf_value_.resize(out_.leaf_value_.size() + 2, 0.0F);
      out_.nodes_[p.target] = {
          static_cast<uint32_t>(f) |
              (tree.default_left[p.source] != 0 ? TreeEnsemble::kDefaultLeft : 0),
          condition, children};
      queue.push_back({static_cast<size_t>(l), children, p.depth + 1});
      queue.push_back({static_cast<size_t>(r), children + 1, p.depth + 1});
    }
    return depth;
  }

  TreeEnsemble& out_;
};

Result<TreeEnsemble> TreeEnsemble::FromXgboostModel(std::string_view document) {
  // XGBoost's loader tells the two apart the same way: JSON text starts with
  // '{' and then a quote (or '}'), UBJSON with '{' and a type marker.
  const size_t first = document.find_first_not_of(" \t\r\n");
  const size_t second =
      first == std::string_view::npos ? first : document.find_first_not_of(" \t\r\n", first + 1);
  const bool text = second != std::string_view::npos && document[first] == '{' &&
                    (document[second] == '"' || document[second] == '}');
  RawModel raw;
  ModelReader reader(raw);
  bool parsed = false;
  try {
    parsed = Json::sax_parse(document.begin(), document.end(), &reader,
                             text ? Json::input_format_t::json : Json::input_format_t::ubjson);
  } catch (const std::exception& e) {
    return Error(Code::kInvalid, "xgboost model: cannot read the {} document: {}",
                 text ? "JSON" : "UBJSON", e.what());
  }
  if (!parsed) {
    return Error(Code::kInvalid, "xgboost model: cannot read the {} document: {}",
                 text ? "JSON" : "UBJSON", reader.error());
  }
  TreeEnsemble ensemble;
  RETURN_IF_ERROR(TreeEnsembleBuilder(ensemble).Build(raw));
  return ensemble;
}

void TreeEnsemble::MarginsOfRow(const float* row, float* __restrict leaves,
                                float* __restrict margins) const {
  bool missing = false;
  for (size_t i = 0; i < num_features_; ++i) {
    missing |= std::isnan(row[i]);
  }
  const Node* nodes = nodes_.data();
  if (!missing) {
    // Every group walks exactly its depth: leaves loop on themselves, so the
    // inner loop has no branch and its kLanes load chains overlap.
    for (const Group& group : groups_) {
      const uint32_t* order = walk_order_.data() + group.first;
      uint32_t at[kLanes];
      for (uint32_t k = 0; k < kLanes; ++k) {
        at[k] = k < group.count ? root_[order[k]] : kPadLeaf;
      }
      for (uint32_t step = 0; step < group.depth; ++step) {
#pragma GCC unroll 8
        for (uint32_t k = 0; k < kLanes; ++k) {
          const Node& node = nodes[at[k]];
          at[k] =
              node.left + static_cast<uint32_t>(row[node.feature & kFeatureMask] >= node.threshold);
        }
      }
      for (uint32_t k = 0; k < group.count; ++k) {
        leaves[order[k]] = leaf_value_[at[k]];
      }
    }
  } else {
    // A row with missing values: one tree at a time, as XGBoost does.
    for (size_t t = 0; t < root_.size(); ++t) {
      uint32_t at = root_[t];
      while (nodes[at].left != at) {
        const Node& node = nodes[at];
        const float value = row[node.feature & kFeatureMask];
        if (std::isnan(value)) {
          at = (node.feature & kDefaultLeft) != 0 ? node.left : node.left + 1;
        } else {
          at = node.left + static_cast<uint32_t>(!(value < node.threshold));
        }
      }
      leaves[t] = leaf_value_[at];
    }
  }
  // XGBoost's order: base_score, then each tree's output in tree order.
  std::fill(margins, margins + num_classes_, base_score_);
  if (round_robin_) {
    // Tree t adds to class t % k: whole rounds at a time, without looking up
    // each tree's class (the same additions in the same order).
    const auto k = static_cast<size_t>(num_classes_);
    for (size_t t = 0; t < tree_class_.size(); t += k) {
      for (size_t c = 0; c < k; ++c) {
        margins[c] += leaves[t + c];
      }
    }
    return;
  }
  for (size_t t = 0; t < tree_class_.size(); ++t) {
    margins[tree_class_[t]] += leaves[t];
  }
}

Status TreeEnsemble::PredictProba(const DenseMatrix& features, std::span<float> out) const {
  const auto k = static_cast<size_t>(num_classes_);
  if (features.cols != num_features_) {
    return Error(Code::kInvalid, "the model takes {} features, the rows have {}", num_features_,
                 features.cols);
  }
  if (features.values.size() != features.rows * features.cols || out.size() != features.rows * k) {
    return Error(Code::kInvalid, "feature matrix {}x{} needs {} values and {} outputs",
                 features.rows, features.cols, features.rows * features.cols, features.rows * k);
  }
  thread_local std::vector<float> leaves;
  leaves.resize(tree_class_.size());
  for (size_t r = 0; r < features.rows; ++r) {
    float* margins = out.data() + r * k;
    MarginsOfRow(features.values.data() + r * features.cols, leaves.data(), margins);
    // XGBoost's softmax (common::Softmax).
    float largest = margins[0];
    for (size_t c = 1; c < k; ++c) {
      largest = std::fmax(margins[c], largest);
    }
    double sum = 0.0;
    for (size_t c = 0; c < k; ++c) {
      margins[c] = std::exp(margins[c] - largest);
      sum += margins[c];
    }
    for (size_t c = 0; c < k; ++c) {
      margins[c] /= static_cast<float>(sum);
    }
  }
  return OkStatus();
}

std::vector<float> TreeEnsemble::ProbeRows(size_t count, uint64_t seed) const {
  std::vector<std::vector<float>> thresholds(num_features_);
  for (const Node& node : nodes_) {
    if (!std::isnan(node.threshold)) {
      thresholds[node.feature & kFeatureMask].push_back(node.threshold);
    }
  }
  std::mt19937_64 random(seed);
  std::vector<float> rows(count * num_features_);
  for (size_t r = 0; r < count; ++r) {
    const bool with_missing = r % 4 == 3;
    for (size_t f = 0; f < num_features_; ++f) {
      float& value = rows[r * num_features_ + f];
      const std::vector<float>& used = thresholds[f];
      const uint64_t pick = random();
      if (with_missing && pick % 8 == 0) {
        value = std::numeric_limits<float>::quiet_NaN();
      } else if (used.empty() || pick % 4 == 0) {
        value = 0.0F;
      } else {
        const float threshold = used[(pick >> 8) % used.size()];
        value = pick % 4 == 1 ? threshold
                              : std::nextafter(threshold, -std::numeric_limits<float>::infinity());
      }
    }
  }
  return rows;
}

}  // namespace conveyor::ml
