// The resolved form of one dvc.yaml stage: every `${}` substituted, every
// foreach/matrix expanded, every field typed. Produced by the dvc.yaml parser
// (pipeline/dvc_yaml.h), consumed by the DAG, the lock file and the runner.
#pragma once

#include <string>
#include <vector>

namespace conveyor {

// Where a definition came from, for error messages: "dvc.yaml:12:5".
struct SourceLocation {
  std::string file;  // as the user would name it, relative to the project root
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown

  std::string ToString() const;  // "file:line:col", or "file" when unknown
};

enum class OutKind { kOut, kMetric, kPlot };

// One entry of a stage's outs, metrics or plots.
struct OutSpec {
  std::string path;  // as written, relative to the stage's wdir
  OutKind kind = OutKind::kOut;
  bool cache = true;     // `cache: false` keeps it out of the cache (metrics often)
  bool persist = false;  // `persist: true`: not removed before the stage runs
  bool push = true;      // `push: false`
  std::string desc;
  SourceLocation where;
};

// One params entry: keys of one params file. An empty `keys` with
// `whole_file` set tracks every key of the file (`- file.yaml:` alone).
struct ParamSpec {
  std::string file = "params.yaml";  // relative to the stage's wdir
  std::vector<std::string> keys;     // dotted keys as written ("train.lr")
  bool whole_file = false;
  SourceLocation where;
};

struct Stage {
  std::string name;  // expanded name: "train", "build@us", "fit@1-adam"
  // The commands in order. `cmd_is_list` records whether dvc.yaml wrote a
  // list, because dvc.lock repeats the form it was given.
  std::vector<std::string> cmd;
  bool cmd_is_list = false;
  std::string wdir = ".";  // relative to the directory holding dvc.yaml
  std::vector<std::string> deps;  // paths relative to wdir
  std::vector<SourceLocation> deps_where;  // parallel to deps
  std::vector<ParamSpec> params;
  std::vector<OutSpec> outs;  // outs, metrics and plots together, in file order
  bool frozen = false;
  bool always_changed = false;
  std::string desc;
  SourceLocation where;  // the stage's own key in dvc.yaml
};

}  // namespace conveyor
