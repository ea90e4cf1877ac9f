// The stage graph: which stage produces which path, which stage needs which,
// the order they run in, and the structural errors DVC also rejects (two
// producers of one output, an output inside another, cycles).
//
// Paths in the graph are relative to the project root, '/'-separated and
// lexically normal ("data/raw", never "./data/raw/" or "a/../data/raw").
//
// Thread safety: a built Dag is immutable; concurrent const use is safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "pipeline/stage.h"

namespace conveyor {

// A stage together with its paths made project-relative.
struct StageNode {
  Stage stage;
  std::string dvcfile;                 // project-relative path of its dvc.yaml
  std::string wdir;                    // project-relative working directory
  std::vector<std::string> dep_paths;  // parallel to stage.deps
  std::vector<std::string> out_paths;  // parallel to stage.outs

  // "train", or "sub/dvc.yaml:train" for a stage outside the root dvc.yaml.
  std::string Address() const;
};

// A path tracked by a `.dvc` file (`conveyor add`), which counts as produced.
struct TrackedPath {
  std::string path;     // project-relative
  std::string dvcfile;  // project-relative path of the .dvc file
};

class Dag {
 public:
  // Builds the graph. Fails on two producers of one output, an output inside
  // another output, and dependency cycles, naming the stages and paths.
  static Result<Dag> Build(std::vector<StageNode> nodes, std::vector<TrackedPath> tracked = {});

  const std::vector<StageNode>& nodes() const { return nodes_; }
  const StageNode& node(size_t i) const { return nodes_[i]; }
  // Indexes of the stages whose outputs stage `i` depends on.
  const std::vector<size_t>& upstream(size_t i) const { return upstream_[i]; }
  const std::vector<size_t>& downstream(size_t i) const { return downstream_[i]; }

  // Every stage, dependencies before dependents, otherwise in file order.
  const std::vector<size_t>& order() const { return order_; }

  // Finds a stage by name ("train", "build@us") or by address
  // ("sub/dvc.yaml:train"). Unknown names give an error with the nearest
  // existing name.
  Result<size_t> Find(std::string_view name) const;

  // The stages to reproduce for `targets` (all stages when empty), in run
  // order: each target with everything upstream of it; with `single_item` the
  // targets alone; with `downstream` the targets and everything downstream.
  Result<std::vector<size_t>> Select(const std::vector<std::string>& targets, bool single_item,
                                     bool downstream) const;

  // The stage producing `path` (exactly, or a directory output containing it),
  // if any.
  std::optional<size_t> ProducerOf(std::string_view path) const;
  // True when `path` is tracked by a .dvc file (or lies inside such a path).
  bool IsTracked(std::string_view path) const;

 private:
  Dag() = default;
  Status Link();
  Status CheckCycles() const;
  void ComputeOrder();

  std::vector<StageNode> nodes_;
  std::vector<TrackedPath> tracked_;
  std::vector<std::vector<size_t>> upstream_;
  std::vector<std::vector<size_t>> downstream_;
  std::vector<size_t> order_;
  // (out path, stage index) sorted by path, for prefix look-ups.
  std::vector<std::pair<std::string, size_t>> outs_;
};

// Lexically normalises `path` joined onto `base` (both project-relative):
// "a/./b/../c" -> "a/c". Fails when the result escapes the project root.
Result<std::string> JoinProjectPath(std::string_view base, std::string_view path);

// The directory holding a project-relative path: "a/b/c" -> "a/b", "c" -> ".".
std::string ParentDir(std::string_view relpath);

// True when `inner` equals `outer` or lies beneath it ("a/b" in "a").
bool PathWithin(std::string_view inner, std::string_view outer);

}  // namespace conveyor
