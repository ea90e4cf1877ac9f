// The one place that decides what an unquoted YAML scalar means: ruamel.yaml's
// YAML 1.2 resolver (resolver.py, implicit_resolvers for (1, 2)), which DVC
// loads and dumps with. YamlDocument builds typed values from its answer;
// the emitter quotes a string whenever its plain form would read back as
// something else.
//
//   bool       true True TRUE false False FALSE   (yes/no/on/off are strings)
//   null       "" ~ null Null NULL
//   int        [-+]?[0-9_]+, 0b…, 0o…, 0x…        ("017" is 17: no 1.1 octal)
//   float      1.5  1.  .5  1e3  1.5e-3  [-+].inf  .nan  (underscores allowed)
//   timestamp  2001-12-14, 2001-12-14t21:59:43.10-05:00
//   merge      <<
//   value      =
//
// Python's `$` also matches before a final "\n"; strings ending in a line
// break are always double-quoted, so the difference never shows.
//
// Thread safety: a pure function.
#pragma once

#include <string_view>

namespace conveyor {

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

// The tag ruamel.yaml's YAML 1.2 resolver gives the plain scalar `text`.
PlainScalarTag ResolvePlainScalar(std::string_view text);

}  // namespace conveyor
