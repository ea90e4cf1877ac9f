// dvc.yaml → resolved Stages, as DVC 3 reads it (dvc/schema.py,
// dvc/parsing/__init__.py):
//   - the raw file is checked against DVC's schema first (unknown keys, with
//     the nearest valid key suggested; wrong types, naming the field);
//   - templating (pipeline/interpolate.h) with the Context built from
//     params.yaml beside dvc.yaml, top-level `vars`, and stage `vars`;
//   - `foreach`/`do` over a list (stages "name@<value>", or "name@<index>"
//     when any element is a list or dict) or a dict ("name@<key>", with
//     `${key}` and `${item}`); `matrix` over the product of its lists
//     ("name@<v1>-<v2>", a list or dict element named "<matrixkey><index>",
//     `${item.<matrixkey>}`, `${key}` the joined name);
//   - params entries merged per file as DVC does (a file listed with no keys
//     is tracked whole, overriding its individual keys).
// Stage names may not contain '@' (DVC could never address such a stage).
// Errors name file:line:col (1-based) and the stage or field, code kInvalid
// (kNotFound when dvc.yaml itself is missing).
//
// Not done here: DAG building, cycle and output-overlap checks
// (pipeline/dag.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/file_reader.h"
#include "pipeline/interpolate.h"
#include "pipeline/stage.h"

namespace conveyor {

struct PipelineFile {
  std::string path;           // dvc.yaml relative to the project root ("dvc.yaml")
  std::vector<Stage> stages;  // in file order; foreach/matrix expanded in place
  // Top-level sections, interpolated. `params` and `metrics` are paths;
  // `plots` entries are JSON text (a string path, or {"path": {props}}).
  std::vector<std::string> params;
  std::vector<std::string> metrics;
  std::vector<std::string> plots;
  // The `artifacts` and `datasets` sections as JSON text, uninterpreted;
  // empty when absent.
  std::string artifacts;
  std::string datasets;
};

// Loads `project_root`/`dvc_yaml_relpath`. `options` is DVC's `parsing`
// config (how a dict in `cmd` becomes flags); defaults as DVC's.
Result<PipelineFile> LoadDvcYaml(const std::filesystem::path& project_root,
                                 const std::filesystem::path& dvc_yaml_relpath,
                                 const InterpolateOptions& options = {});
// As above, reading dvc.yaml and the params and vars files it uses through
// `read` (the files of a Git commit, say).
Result<PipelineFile> LoadDvcYaml(const FileReader& read,
                                 const std::filesystem::path& dvc_yaml_relpath,
                                 const InterpolateOptions& options = {});

}  // namespace conveyor
