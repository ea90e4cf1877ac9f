// `exp run -S [FILE:]KEY=VALUE`: parameter overrides written into the params
// files before the pipeline runs, as DVC's `exp run --set-param` does.
//
//   -S train.max_depth=8              params.yaml at the project root
//   -S config/train.yaml:lr=0.01      another params file
//
// VALUE is read as YAML would read it (8 is an int, 0.1 a float, true a
// bool, anything else a string). KEY must already exist (as in DVC, which
// asks for `+KEY` to add one — adding keys is not supported here) and must
// name a scalar, not a mapping or a list.
//
// YAML files are edited in place — only the value's text changes, so
// comments, order and formatting stay — and the result is re-read to check
// that the key now holds the value. JSON files are rewritten (key order
// kept, two-space indent). TOML files are refused. Every override is
// checked before any file is written; each file is written atomically.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor {

struct ParamOverride {
  std::string file = "params.yaml";  // project-relative
  std::string key;                   // dotted
  std::string value;                 // as typed
};

// kUsage naming the argument when it is not [FILE:]KEY=VALUE.
Result<ParamOverride> ParseParamOverride(std::string_view text);

// Applies `overrides` to the files under `project_root`. Returns the
// project-relative paths of the files changed.
Result<std::vector<std::string>> ApplyParamOverrides(const std::filesystem::path& project_root,
                                                     const std::vector<ParamOverride>& overrides);

}  // namespace conveyor
