// Parameter files (params.yaml and friends) as JSON trees, and dotted-key
// access into them, following DVC's rules:
//   - the format follows the extension: .json, .toml, .py (not supported by
//     conveyor: an error says so), and YAML for every other name (.yaml,
//     .yml, or none), as DVC's `LOADERS` default does;
//   - an empty file is an empty mapping;
//   - keys are dotted paths ("train.lr"); a numeric segment indexes a list
//     ("layers.0.units"), as `dpath.get(..., separator=".")` does.
//
// All functions are pure apart from reading the named file.
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor {

// Loads `path`. `display_name` names it in errors ("params.yaml").
// Errors: kNotFound "'<name>' does not exist"; kInvalid for a directory, a
// parse error ("<name>:line:col: message"), a .py file, or a top level that
// is not a mapping ("expected a dictionary, got 'list' in file '<name>'").
Result<nlohmann::ordered_json> LoadParamsFile(const std::filesystem::path& path,
                                              std::string_view display_name);

// Parses `text` in the format the extension of `display_name` selects.
Result<nlohmann::ordered_json> ParseParamsText(std::string_view text,
                                               std::string_view display_name);

// Nested mappings flattened to one mapping of dotted keys, in file order
// (DVC's `flatten`, flatten_dict with the "dot" reducer): lists and scalars
// are leaves; an empty nested mapping is kept as an empty-mapping leaf.
nlohmann::ordered_json FlattenParams(const nlohmann::ordered_json& tree);

// The value at dotted `key`. kNotFound "'<key>' not found in '<file>'",
// followed by "; did you mean '<nearest flattened key>'?" for a typo.
Result<nlohmann::ordered_json> LookupParam(const nlohmann::ordered_json& tree, std::string_view key,
                                           std::string_view file);

// Splits "a.b.0" into {"a", "b", "0"}.
std::vector<std::string> SplitDottedKey(std::string_view key);

}  // namespace conveyor
