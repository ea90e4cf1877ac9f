// Which style DVC's YAML writer gives a scalar: ruamel.yaml 0.17's
// Emitter.analyze_scalar and choose_scalar_style (emitter.py), for the
// block-style documents DVC dumps. The emitter (pipeline/yaml_emit.h) writes
// the scalar in the style chosen here.
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

namespace conveyor {

// What analyze_scalar finds out about a scalar's text (the fields ruamel's
// ScalarAnalysis has that block-style output consults).
struct ScalarAnalysis {
  bool empty = false;
  bool multiline = false;         // contains a line break
  bool allow_block_plain = true;  // may be written unquoted
  bool allow_single_quoted = true;
};

enum class ScalarStyle { kPlain, kSingle, kDouble };

// A YAML line break: '\n', U+0085, U+2028, U+2029.
bool IsYamlBreak(char32_t ch);

// Emitter.analyze_scalar over the decoded text.
ScalarAnalysis AnalyzeScalar(std::u32string_view text);

// Emitter.choose_scalar_style. `implicit` is ruamel's implicit[0]: the plain
// form reads back as the same type (always true for numbers, bools and null;
// for strings only when the text resolves to str). `simple_key` is true for
// mapping keys.
ScalarStyle ChooseScalarStyle(std::u32string_view text, const ScalarAnalysis& analysis,
                              bool implicit, bool simple_key);

}  // namespace conveyor
