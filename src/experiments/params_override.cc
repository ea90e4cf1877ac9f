#include "experiments/params_override.h"

#include <map>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/nearest.h"
#include "pipeline/dag.h"
#include "pipeline/params_file.h"
#include "pipeline/yaml_value.h"

namespace conveyor {

namespace {

using Json = nlohmann::ordered_json;

std::string PointerFor(std::string_view key) {
  std::string pointer;
  for (const std::string& part : SplitDottedKey(key))
    pointer = JsonPointerChild(pointer, part);
  return pointer;
}

// The value's text as YAML: plain when it reads back as itself, otherwise
// single-quoted.
std::string YamlScalarText(const std::string& value) {
  Json typed = ConstructPlainScalar(value);
  bool plain_safe =
      !value.empty() && value.find(": ") == std::string::npos &&
      value.find(" #") == std::string::npos && value.back() != ':' && value.back() != ' ' &&
      value.find('\n') == std::string::npos &&
      std::string_view("-?:,[]{}#&*!|>'\"%@` ").find(value.front()) == std::string_view::npos;
  if (!typed.is_string() || plain_safe)
    return value;
  std::string quoted = "'";
  for (char c : value) {
    quoted += c;
    if (c == '\'')
      quoted += '\'';
  }
  return quoted + "'";
}

// Byte range [begin, end) of the scalar starting at 1-based line:column.
Result<std::pair<size_t, size_t>> ScalarSpan(const std::string& text, int line, int column,
                                             const std::string& where) {
  size_t begin = 0;
  for (int l = 1; l < line; ++l) {
    begin = text.find('\n', begin);
    if (begin == std::string::npos)
      return Error(Code::kInternal, "{}: position past the end of the file", where);
    ++begin;
  }
  begin += static_cast<size_t>(column - 1);
  size_t line_end = text.find('\n', begin);
  if (line_end == std::string::npos)
    line_end = text.size();
  char first = text[begin];
  if (first == '\'' || first == '"') {
    for (size_t i = begin + 1; i < line_end; ++i) {
      if (text[i] == first) {
        if (first == '\'' && i + 1 < line_end && text[i + 1] == '\'') {
          ++i;
          continue;
        }
        if (first == '"' && text[i - 1] == '\\')
          continue;
        return std::make_pair(begin, i + 1);
      }
    }
    return Error(Code::kInvalid, "{}: the value spans several lines; edit it by hand", where);
  }
  if (first == '|' || first == '>')
    return Error(Code::kInvalid, "{}: the value is a block scalar; edit it by hand", where);
  size_t end = text.find(" #", begin);
  if (end == std::string::npos || end > line_end)
    end = line_end;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\r'))
    --end;
  return std::make_pair(begin, end);
}

Status CheckScalar(const Json& tree, const ParamOverride& override, const std::string& where) {
  auto current = LookupParam(tree, override.key, override.file);
  if (!current.ok()) {
    return Error(Code::kInvalid, "-S {}={}: {}", override.key, override.value,
                 current.status().message());
  }
  if (current->is_object() || current->is_array()) {
    return Error(Code::kInvalid, "-S {}: {} holds a {}, not a single value; set one of its keys",
                 override.key, where, current->is_object() ? "mapping" : "list");
  }
  return OkStatus();
}

Result<std::string> OverrideYaml(std::string text, const std::string& file,
                                 const std::vector<const ParamOverride*>& overrides) {
  for (const ParamOverride* override : overrides) {
    ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(text, file));
    std::string pointer = PointerFor(override->key);
    std::string where = doc.Where(pointer).ToString();
    RETURN_IF_ERROR(CheckScalar(doc.root(), *override, where));
    SourceLocation location = doc.Where(pointer);
    ASSIGN_OR_RETURN(auto span, ScalarSpan(text, location.line, location.column, where));
    text.replace(span.first, span.second - span.first, YamlScalarText(override->value));
    // Re-read: the key must now hold exactly the value YAML gives the text.
    auto reread = YamlDocument::Parse(text, file);
    Json expected = ConstructPlainScalar(override->value);
    if (!reread.ok() || reread->root().at(Json::json_pointer(pointer)) != expected) {
      return Error(Code::kInvalid, "-S {}: cannot write '{}' into {} in place; edit it by hand",
                   override->key, override->value, where);
    }
  }
  return text;
}

Result<std::string> OverrideJson(const std::string& text, const std::string& file,
                                 const std::vector<const ParamOverride*>& overrides) {
  ASSIGN_OR_RETURN(Json tree, ParseParamsText(text, file));
  for (const ParamOverride* override : overrides) {
    RETURN_IF_ERROR(CheckScalar(tree, *override, file));
    tree[Json::json_pointer(PointerFor(override->key))] = ConstructPlainScalar(override->value);
  }
  return tree.dump(2) + "\n";
}

}  // namespace

Result<ParamOverride> ParseParamOverride(std::string_view text) {
  size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return Error(Code::kUsage, "-S '{}': expected [FILE:]KEY=VALUE, e.g. train.max_depth=8", text);
  }
  ParamOverride override;
  std::string_view target = text.substr(0, equals);
  override.value = std::string(text.substr(equals + 1));
  if (size_t colon = target.rfind(':'); colon != std::string_view::npos) {
    override.file = std::string(target.substr(0, colon));
    target.remove_prefix(colon + 1);
  }
  if (target.starts_with('+')) {
    return Error(Code::kUsage, "-S '{}': adding new keys is not supported; add '{}' to {} first",
                 text, target.substr(1), override.file);
  }
  if (target.empty() || override.file.empty())
    return Error(Code::kUsage, "-S '{}': expected [FILE:]KEY=VALUE", text);
  override.key = std::string(target);
  return override;
}

Result<std::vector<std::string>> ApplyParamOverrides(const std::filesystem::path& project_root,
                                                     const std::vector<ParamOverride>& overrides) {
  std::map<std::string, std::vector<const ParamOverride*>> by_file;
  for (const ParamOverride& override : overrides) {
    auto file = JoinProjectPath(".", override.file);
    if (!file.ok())
      return Error(Code::kUsage, "-S: '{}' is outside the project", override.file);
    by_file[*file].push_back(&override);
  }
  std::vector<std::pair<std::string, std::string>> updates;  // (file, new text)
  for (const auto& [file, file_overrides] : by_file) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(project_root / file));
    std::string ext = std::filesystem::path(file).extension().string();
    if (ext == ".toml" || ext == ".py") {
      return Error(Code::kInvalid, "-S: {} params files are not supported ({})", ext, file);
    }
    Result<std::string> updated = ext == ".json" ? OverrideJson(text, file, file_overrides)
                                                 : OverrideYaml(text, file, file_overrides);
    RETURN_IF_ERROR(updated.status());
    if (*updated != text)
      updates.emplace_back(file, std::move(*updated));
  }
  std::vector<std::string> changed;
  for (const auto& [file, text] : updates) {
    RETURN_IF_ERROR(AtomicWriteFile(project_root / file, text));
    changed.push_back(file);
  }
  return changed;
}

}  // namespace conveyor
