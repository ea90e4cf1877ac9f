// DVC's schema for dvc.yaml (dvc/schema.py: MULTI_STAGE_SCHEMA,
// STAGE_DEFINITION, FOREACH_IN, OUT_PSTAGE_DETAILED_SCHEMA, PLOT_PROPS),
// checked on the raw file before templating, as DVC does.
//
// Errors (kInvalid) point at the offending key or value:
//   "dvc.yaml:3:5: stage 'train': unknown key 'out'; did you mean 'outs'?"
//   "dvc.yaml:4:13: stage 'train': 'frozen' must be a boolean, got str"
//   "dvc.yaml:2:3: stage 'train': missing required key 'cmd'"
// Pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "pipeline/yaml_value.h"

namespace conveyor {

// The top level: stages, vars, params, metrics, plots, artifacts, datasets.
Status CheckTopLevelSchema(const YamlDocument& doc);

// One entry of `stages` (plain, foreach/do, or matrix) at `pointer`
// ("/stages/train").
Status CheckStageSchema(const YamlDocument& doc, const std::string& pointer,
                        std::string_view stage_name);

// Python's type name for a JSON value: str, int, float, bool, list, dict,
// NoneType.
std::string PythonTypeName(const nlohmann::ordered_json& value);

}  // namespace conveyor
