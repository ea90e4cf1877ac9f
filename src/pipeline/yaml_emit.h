// DVC's YAML dialect: the bytes DVC 3 writes for dvc.lock, .dvc files and
// run-cache entries. Reading them is YamlDocument's job (pipeline/yaml_value.h).
//
// DVC dumps with ruamel.yaml's round-trip dumper configured only with
// `default_flow_style = False` (dvc/utils/serialize/_yaml.py, _get_yaml), so
// every ruamel default applies: block style, mappings indented by 2,
// sequences in a mapping written at the key's column (`deps:\n- path: x`),
// line width 80 (long plain and quoted scalars are folded at spaces),
// allow_unicode, the YAML 1.2 resolver. This writer reproduces ruamel.yaml
// 0.17's emitter (emitter.py: write_plain, write_single_quoted,
// write_double_quoted; analyze_scalar and choose_scalar_style are in
// pipeline/yaml_scalar_style.h) for JSON-shaped data. A string is quoted when
// its plain form would resolve to another type (ResolvePlainScalar,
// pipeline/yaml_scalar.h, the resolver YamlDocument reads with), so a value
// survives a write/read round trip.
//
// Thread safety: free functions without shared state.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "common/status.h"

namespace conveyor {

// A double the way ruamel writes it: Python's repr() lower-cased, so the
// shortest round-trip digits, an exponent when the decimal exponent is < -4
// or >= 16 ("1e-05", "1e+16"), ".0" on integral values ("1.0"), and
// ".inf", "-.inf", ".nan".
std::string FormatPythonFloat(double value);

// Returns `doc` as DVC's dump_yaml would write it, ending in a newline.
// `doc` must be an object or array; objects keep their insertion order
// (DVC's dicts are ordered). Strings must be valid UTF-8.
// Errors (kInvalid): invalid UTF-8; a mapping key of 128 or more characters
// or containing a line break, which ruamel writes as an explicit "? key"
// entry that this writer does not produce.
Result<std::string> EmitDvcYaml(const nlohmann::ordered_json& doc);

}  // namespace conveyor
