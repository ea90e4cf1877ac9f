// One dvc.yaml stage, its templating already resolved, as a Stage: the field
// types DVC's schema leaves open are checked here (cmd items, deps, flags),
// params entries are merged per file as DVC's _merge_params does (a file
// listed with no keys is tracked whole, overriding its individual keys), and
// outs/metrics/plots entries of the same path as _merge_data does (flags
// merged, the first position kept). Expanding foreach/matrix into bodies is
// the caller's (pipeline/dvc_yaml.h).
//
// Thread safety: a pure function of its arguments.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "common/status.h"
#include "pipeline/stage.h"
#include "pipeline/yaml_value.h"

namespace conveyor {

// Builds the stage `name` from `body`, the resolved stage mapping (without
// `vars`) of the definition at `pointer` in `doc`; `doc` only gives error
// positions. `wdir` is the resolved wdir ("" for the dvc.yaml directory).
// The raw definition must have passed CheckStageSchema (so `cmd` is present).
// Errors (kInvalid): "file:line:col: stage 'name': message".
Result<Stage> BuildStage(const YamlDocument& doc, const std::string& name,
                         const nlohmann::ordered_json& body, const std::string& pointer,
                         const std::string& wdir);

}  // namespace conveyor
