// Byte-exact reproduction of Python's `json.dumps(obj, sort_keys=True)` with
// its other defaults (ensure_ascii=True, allow_nan=True, separators ", " and
// ": "). DVC hashes such bytes: a directory's `.dir` object
// (dvc_data/hashfile/tree.py `Tree.as_bytes`) and run-cache keys
// (`dict_sha256`), so every byte must match what CPython 3 writes.
//
// What is reproduced:
//   - strings: `"` `\\` `\n` `\r` `\t` `\b` `\f` escaped by name; every other
//     character outside 0x20..0x7e (control characters, DEL, all non-ASCII) as
//     `\uXXXX` with lower-case hex; code points above U+FFFF as a UTF-16
//     surrogate pair. Input must be valid UTF-8, else kInvalid.
//   - integers as decimal; floats as Python's repr (shortest round-trip:
//     0.1, 1e-05, 1e+20, 1.0, -0.0) and inf/-inf/nan as Infinity/-Infinity/NaN.
//   - true/false/null; lists as `[a, b]`; objects as `{"k": v, "l": w}` with
//     keys sorted by code point (for valid UTF-8, byte order is the same).
// Binary values and discarded values are rejected (kInvalid).
//
// Thread safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace conveyor {

Result<std::string> PyJsonDumps(const nlohmann::json& value);
Result<std::string> PyJsonDumps(const nlohmann::ordered_json& value);

// Appends `utf8` as a quoted, escaped JSON string, exactly as json.dumps
// writes a Python str. On invalid UTF-8, returns kInvalid and leaves `out` in
// an unspecified state.
Status AppendPyJsonString(std::string_view utf8, std::string& out);

// Python's repr() of a float ("0.1", "1e-05", "1e+20", "1.0", "inf", "nan").
// json.dumps differs only for the non-finite values (see PyJsonDumps).
std::string PyFloatRepr(double value);

}  // namespace conveyor
