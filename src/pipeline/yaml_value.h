// YAML files as JSON values, typed the way DVC's loader (ruamel.yaml, YAML 1.2
// core schema) types them, with the source position of every node kept for
// error messages.
//
// Typing of plain (unquoted) scalars, as ruamel.yaml's 1.2 resolver does:
//   bool   true True TRUE false False FALSE       (yes/no/on/off stay strings)
//   null   ~ null Null NULL and the empty scalar
//   int    [-+]?[0-9_]+, 0b…, 0o…, 0x… ("017" is 17: no YAML 1.1 octal)
//   float  1.5  1.  .5  1e3  1.5e-3  [-+].inf  .nan  (underscores allowed)
// Quoted and block scalars are always strings; `!!str`, `!!int`, `!!float`,
// `!!bool`, `!!null` force a type. Other tags are errors. Everything else
// (including timestamps, which ruamel would turn into dates) is a string.
// Merge keys (`<<: *anchor`) are applied; duplicate keys are errors, as in
// ruamel. An empty document (or one that is just `null`) is an empty mapping,
// as DVC's `parse_yaml` returns `{}` for it.
//
// Thread safety: YamlDocument is an immutable value after construction.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "pipeline/stage.h"

namespace conveyor {

class YamlDocument {
 public:
  // Parses `text`. `display_name` names the file in errors and locations.
  // Errors: "display_name:line:col: message" (1-based), code kInvalid.
  static Result<YamlDocument> Parse(std::string_view text, std::string display_name);
  // Reads `path` and parses it; a missing file is kNotFound.
  static Result<YamlDocument> LoadFile(const std::filesystem::path& path, std::string display_name);

  const nlohmann::ordered_json& root() const { return *root_; }
  const std::string& file() const { return file_; }

  // Position of the node at `pointer` (JSON Pointer: "/stages/train/cmd/0",
  // "" for the root). Falls back to the nearest ancestor with a position, then
  // to the bare file name.
  SourceLocation Where(std::string_view pointer) const;
  // For a mapping entry, the position of its key; otherwise as Where().
  SourceLocation KeyWhere(std::string_view pointer) const;

  struct Position {
    int line = 0;  // 1-based
    int column = 0;
  };
  struct NodePositions {
    Position key;  // the key of a mapping entry; the node itself otherwise
    Position value;
  };

 private:
  YamlDocument() = default;
  SourceLocation Lookup(std::string_view pointer, bool key) const;

  std::string file_;
  std::shared_ptr<const nlohmann::ordered_json> root_;
  std::map<std::string, NodePositions, std::less<>> positions_;
};

// "`base`/`key`" with `key` escaped as JSON Pointer requires (~ → ~0, / → ~1).
std::string JsonPointerChild(std::string_view base, std::string_view key);
std::string JsonPointerChild(std::string_view base, size_t index);

// The typed value of a plain (unquoted, untagged) scalar under the rules
// above. Exposed for tests.
nlohmann::ordered_json ResolvePlainScalar(std::string_view text);

}  // namespace conveyor
