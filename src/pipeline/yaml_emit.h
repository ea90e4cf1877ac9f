// DVC's YAML dialect: the bytes DVC 3 writes for dvc.lock, .dvc files and
// run-cache entries, and the scalar typing it applies when reading them.
//
// DVC dumps with ruamel.yaml's round-trip dumper configured only with
// `default_flow_style = False` (dvc/utils/serialize/_yaml.py, _get_yaml), so
// every ruamel default applies: block style, mappings indented by 2,
// sequences in a mapping written at the key's column (`deps:\n- path: x`),
// line width 80 (long plain and quoted scalars are folded at spaces),
// allow_unicode, the YAML 1.2 resolver. This writer reproduces ruamel.yaml
// 0.17's emitter (emitter.py: analyze_scalar, choose_scalar_style,
// write_plain, write_single_quoted, write_double_quoted) for JSON-shaped data.
// Reading uses the same resolver so a value survives a read/write round trip.
//
// Thread safety: free functions without shared state.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace conveyor {

// What an unquoted scalar means under ruamel.yaml's YAML 1.2 resolver
// (resolver.py, implicit_resolvers for (1, 2)).
enum class PlainScalarTag {
  kStr,
  kNull,       // "", "~", "null", "Null", "NULL"
  kBool,       // "true", "True", "TRUE", "false", "False", "FALSE"
  kInt,        // "12", "-3", "1_000", "0x1F", "0o17", "0b101", "017"
  kFloat,      // "0.1", "1e5", ".5", "1.", ".inf", "-.Inf", ".nan"
  kTimestamp,  // "2020-01-01", "2001-12-14t21:59:43.10-05:00"
  kMerge,      // "<<"
  kValue,      // "="
};
PlainScalarTag ResolvePlainScalar(std::string_view text);

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

// Converts a parsed YAML node to JSON the way DVC's loader (ruamel.yaml
// typ="safe", YAML 1.2) types scalars: plain scalars through
// ResolvePlainScalar, quoted and block scalars as strings. Timestamps are
// kept as their text (DVC would load a date object). Mapping keys become
// strings as written. `file` names the source in errors ("dvc.lock:3:7: ...").
// Errors (kInvalid): an integer outside the int64/uint64 range.
Result<nlohmann::ordered_json> YamlToJson(const YAML::Node& node, std::string_view file);

// "file:line:col" of `node` (1-based), or `file` when the node has no mark.
std::string YamlWhere(std::string_view file, const YAML::Node& node);

}  // namespace conveyor
