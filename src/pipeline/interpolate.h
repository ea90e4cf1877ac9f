// DVC's `${...}` templating (dvc/parsing/interpolate.py), over JSON values.
//
//   - `${a.b}`, `${a[0]}`, `${a.0}` and `${a[-1]}` select from the Context;
//     a name is any run of characters other than `.`, `[` and `]`.
//   - A string that is exactly one `${x}` becomes x's value with its type
//     (a number stays a number). Otherwise each `${x}` is replaced by its
//     text: booleans as `true`/`false`, null as `None`, floats as Python
//     prints them (`0.001`, `1e-05`, `1000.0`).
//   - Lists and dicts may only be interpolated whole in foreach/matrix data.
//     In `cmd`, a dict inside a longer string becomes command-line flags:
//     nested keys dotted (`--a.b 1`), strings shell-quoted, `true` → `--k`,
//     `false` → nothing (or `--no-k` with parsing.bool=boolean_optional),
//     lists → `--k a b` (or `--k a --k b` with parsing.list=append).
//   - `\${` is an escape: it is left out of matching and becomes `${`.
//
// All functions are pure.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "pipeline/context.h"

namespace conveyor {

// DVC's `parsing` config section (.dvc/config); defaults as DVC's.
struct InterpolateOptions {
  enum class BoolFlags { kStoreTrue, kBooleanOptional };  // parsing.bool
  enum class ListFlags { kNargs, kAppend };               // parsing.list
  BoolFlags bool_flags = BoolFlags::kStoreTrue;
  ListFlags list_flags = ListFlags::kNargs;
};

// One `${...}` in a string: [begin, end) covers it, `inner` is between the
// braces.
struct Interpolation {
  size_t begin = 0;
  size_t end = 0;
  std::string inner;
};

// Every unescaped `${...}` in `s`, left to right (a `${` with no `}` on the
// same line is not one).
std::vector<Interpolation> FindInterpolations(std::string_view s);
bool IsInterpolated(std::string_view s);

// Checks the syntax of `inner` and returns it as a dotted key ("a[0].b" →
// "a.0.b"). Error (kInvalid): "invalid expression '${a.}': expected end of
// text, found '.' (at char 3)".
Result<std::string> ParseExpression(std::string_view inner);

// Checks every expression in `value` (strings, mapping keys, recursively).
// On error, `*failed_pointer` (when given) is set to the JSON Pointer,
// relative to `value`, of the string at fault.
Status CheckExpressions(const nlohmann::ordered_json& value, std::string* failed_pointer = nullptr);

// DVC's `to_str` for a non-dict value.
std::string ToStr(const nlohmann::ordered_json& value);
// DVC's `to_str` for a dict in `cmd`: "--key value ..." flags.
Result<std::string> DictToFlags(const nlohmann::ordered_json& dict,
                                const InterpolateOptions& options);
// Python's shlex.quote.
std::string ShellQuote(std::string_view s);

// Resolves one string. `field` is the stage field it belongs to ("cmd",
// "outs", "wdir", ...), or empty for foreach/matrix data and top-level
// sections, where whole lists and dicts may be interpolated. Errors
// (kInvalid or kNotFound): "Could not find 'x'", "Cannot interpolate data of
// type 'list'", "Cannot interpolate nested iterable in 'k'", syntax errors.
Result<nlohmann::ordered_json> ResolveString(const std::string& s, const Context& context,
                                             std::string_view field,
                                             const InterpolateOptions& options);

// Resolves every string in `value` (and mapping keys), recursively. On
// error, `*failed_pointer` (when given) is set as in CheckExpressions.
Result<nlohmann::ordered_json> ResolveValue(const nlohmann::ordered_json& value,
                                            const Context& context, std::string_view field,
                                            const InterpolateOptions& options,
                                            std::string* failed_pointer = nullptr);

}  // namespace conveyor
