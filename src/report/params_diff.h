// `params diff`: the parameters the pipeline uses, compared between two
// revisions as DVC's `dvc params diff` prints them:
//
//   Path         Param     HEAD   workspace
//   params.yaml  train.lr  0.01   0.02
//
// The files compared at each revision are those its dvc.yaml files declare:
// every stage's `params` entries (only the listed keys, or the whole file
// when listed without keys), each dvc.yaml's top-level `params` files, and
// params.yaml at the project root when it exists (DVC's default file).
// Nested values are flattened to dotted keys; lists and empty mappings are
// shown as JSON. A declared file that is missing or malformed at one
// revision is named in a warning; its values count as absent there.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/file_reader.h"
#include "pipeline/workspace.h"
#include "report/value_diff.h"

namespace conveyor {

struct ParamsValues {
  std::string path;  // project-relative
  // Dotted key -> leaf, in file order.
  nlohmann::ordered_json values = nlohmann::ordered_json::object();
  std::string error;  // set when the file is missing or cannot be parsed
};

// The params files `workspace` uses, read through `read`, sorted by path.
std::vector<ParamsValues> CollectParams(const Workspace& workspace, const FileReader& read);

using ParamsDiff = RevisionsDiff;

// Compares `old_files` with `new_files`; with `all`, unchanged params too.
ParamsDiff DiffParams(std::string old_revision, const std::vector<ParamsValues>& old_files,
                      std::string new_revision, const std::vector<ParamsValues>& new_files,
                      bool all);

// The table (text or Markdown, no Change column, numbers unrounded); empty
// when nothing changed.
std::string FormatParamsDiff(const ParamsDiff& diff, bool markdown, bool path_column = true);

// {path: {param: {"old": v, "new": v}}}, null for an absent value.
nlohmann::ordered_json ParamsDiffJson(const ParamsDiff& diff);

}  // namespace conveyor
