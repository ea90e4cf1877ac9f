// conveyor.yaml: what conveyor needs to know about a project that DVC's files
// have no words for. Optional; a project without it has no declared models
// and uses the embedded registry.
//
//   # conveyor.yaml
//   registry: postgresql://ml@db.internal/registry   # default: sqlite .conveyor/registry.db
//   models:
//     digits:                       # model name: [A-Za-z0-9][A-Za-z0-9._-]*
//       path: model                 # a pipeline output (file or directory)
//       spec: model/model.yaml      # default: <path>/model.yaml for a directory
//       description: XGBoost digits classifier
//
// Unknown keys are errors, with the nearest valid key suggested. Errors name
// conveyor.yaml:line:col and the field, code kInvalid.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/stage.h"

namespace conveyor {

struct DeclaredModel {
  std::string name;
  std::string path;  // project-relative, normalised
  std::string spec;  // project-relative; empty when not given and `path` may be a file
  std::string description;
  SourceLocation where;  // the model's key
};

struct ConveyorConfig {
  static constexpr const char* kFileName = "conveyor.yaml";

  std::string registry;  // as written; empty for the default
  SourceLocation registry_where;
  std::vector<DeclaredModel> models;  // in file order
};

// Reads `project_root`/conveyor.yaml; an absent file is an empty config.
Result<ConveyorConfig> LoadConveyorConfig(const std::filesystem::path& project_root);

// Parses conveyor.yaml text (`display_name` names it in errors).
Result<ConveyorConfig> ParseConveyorConfig(std::string_view text, const std::string& display_name);

}  // namespace conveyor
