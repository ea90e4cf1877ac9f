// YAML files as JSON values, typed the way DVC's loader (ruamel.yaml, YAML 1.2
// core schema) types them, with the source position of every node kept for
// error messages.
//
// Plain (unquoted) scalars are typed by ResolvePlainScalar
// (pipeline/yaml_scalar.h): bool, null, int and float become JSON values;
// everything else (including timestamps, which ruamel would turn into dates,
// and `<<` outside a key) is a string. Quoted and block scalars are always
// strings; `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` force a type.
// Other tags are errors.
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
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "pipeline/stage.h"

namespace conveyor {

struct YamlParseOptions {
  // A plain integer outside the int64/uint64 range, which Python would keep
  // exactly. false (the default; dvc.yaml and params files): it reads as the
  // nearest double. true (files conveyor writes back byte for byte: dvc.lock,
  // .dvc files, run-cache entries): the error
  // "file:line:col: integer '99999999999999999999' is out of range".
  bool reject_big_integers = false;
};

class YamlDocument {
 public:
  // Parses `text`. `display_name` names the file in errors and locations.
  // Errors: "display_name:line:col: message" (1-based), code kInvalid.
  static Result<YamlDocument> Parse(std::string_view text, std::string display_name,
                                    const YamlParseOptions& options = {});
  // Reads `path` and parses it; a missing file is kNotFound.
  static Result<YamlDocument> LoadFile(const std::filesystem::path& path, std::string display_name,
                                       const YamlParseOptions& options = {});

  const nlohmann::ordered_json& root() const { return *root_; }
  const std::string& file() const { return file_; }
  // Whether the stream held no document, or only a null one (root() is then
  // an empty mapping all the same).
  bool empty() const { return empty_; }

  // The scalar at `pointer` as the file spells it: a string's value, or the
  // plain text a number or bool was read from ("017", "1.50", "True").
  // nullopt for null, collections and pointers that name no node.
  std::optional<std::string> ScalarText(std::string_view pointer) const;

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
  // Source text of the scalars typed as numbers or bools, by pointer.
  std::map<std::string, std::string, std::less<>> typed_scalar_text_;
  bool empty_ = false;
};

// "`base`/`key`" with `key` escaped as JSON Pointer requires (~ → ~0, / → ~1).
std::string JsonPointerChild(std::string_view base, std::string_view key);
std::string JsonPointerChild(std::string_view base, size_t index);

// The typed value of a plain (unquoted, untagged) scalar: ResolvePlainScalar
// decides the type, then ruamel's SafeConstructor rules build the value
// (integers beyond 64 bits as the nearest double). Exposed for tests.
nlohmann::ordered_json ConstructPlainScalar(std::string_view text);

}  // namespace conveyor
