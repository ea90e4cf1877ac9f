#include "pipeline/params_file.h"

#include <fmt/core.h>
#include <toml++/toml.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "common/file_util.h"
#include "common/nearest.h"
#include "pipeline/yaml_value.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

std::string Extension(std::string_view name) {
  std::string ext = std::filesystem::path(name).extension().string();
  for (char& c : ext)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

Json TomlToJson(const toml::node& node) {
  if (const toml::table* table = node.as_table()) {
    Json out = Json::object();
    for (const auto& [key, value] : *table)
      out[std::string(key.str())] = TomlToJson(value);
    return out;
  }
  if (const toml::array* array = node.as_array()) {
    Json out = Json::array();
    for (const toml::node& value : *array)
      out.push_back(TomlToJson(value));
    return out;
  }
  if (const auto* v = node.as_string())
    return Json(v->get());
  if (const auto* v = node.as_integer())
    return Json(v->get());
  if (const auto* v = node.as_floating_point())
    return Json(v->get());
  if (const auto* v = node.as_boolean())
    return Json(v->get());
  // Dates and times: kept as their TOML text.
  std::ostringstream text;
  node.visit([&text](const auto& leaf) { text << leaf; });
  return Json(text.str());
}

void FlattenInto(const Json& tree, const std::string& prefix, Json* out) {
  for (const auto& [key, value] : tree.items()) {
    std::string dotted = prefix.empty() ? key : fmt::format("{}.{}", prefix, key);
    if (value.is_object() && !value.empty()) {
      FlattenInto(value, dotted, out);
    } else {
      (*out)[dotted] = value;
    }
  }
}

std::string TypeName(const Json& value) {
  if (value.is_array())
    return "list";
  if (value.is_string())
    return "str";
  if (value.is_boolean())
    return "bool";
  if (value.is_number_float())
    return "float";
  if (value.is_number())
    return "int";
  return "NoneType";
}

}  // namespace

Result<Json> ParseParamsText(std::string_view text, std::string_view display_name) {
  const std::string ext = Extension(display_name);
  Json tree;
  if (ext == ".py") {
    return Error(Code::kInvalid,
                 "'{}': Python params files are not supported by conveyor; use YAML, JSON or "
                 "TOML",
                 display_name);
  }
  if (ext == ".json") {
    try {
      tree = Json::parse(text);
    } catch (const Json::parse_error& e) {
      return Error(Code::kInvalid, "{}: JSON file structure is corrupted: {}", display_name,
                   e.what());
    }
    if (tree.is_null())
      tree = Json::object();
  } else if (ext == ".toml") {
    try {
      toml::table table = toml::parse(text, std::string(display_name));
      tree = TomlToJson(table);
    } catch (const toml::parse_error& e) {
      const toml::source_region& where = e.source();
      return Error(Code::kInvalid, "{}:{}:{}: {}", display_name, where.begin.line,
                   where.begin.column, e.description());
    }
  } else {
    ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(text, std::string(display_name)));
    tree = doc.root();
  }
  if (!tree.is_object()) {
    return Error(Code::kInvalid, "expected a dictionary, got '{}' in file '{}'", TypeName(tree),
                 display_name);
  }
  return tree;
}

Result<Json> LoadParamsFile(const std::filesystem::path& path, std::string_view display_name) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Error(Code::kNotFound, "'{}' does not exist", display_name);
  }
  if (std::filesystem::is_directory(path, ec)) {
    return Error(Code::kInvalid, "'{}' is a directory", display_name);
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseParamsText(text, display_name);
}

Json FlattenParams(const Json& tree) {
  Json out = Json::object();
  if (tree.is_object())
    FlattenInto(tree, "", &out);
  return out;
}

std::vector<std::string> SplitDottedKey(std::string_view key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    parts.emplace_back(key.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  return parts;
}

Result<Json> LookupParam(const Json& tree, std::string_view key, std::string_view file) {
  const Json* node = &tree;
  for (const std::string& part : SplitDottedKey(key)) {
    const Json* next = nullptr;
    if (node->is_object()) {
      auto it = node->find(part);
      if (it != node->end())
        next = &*it;
    } else if (node->is_array()) {
      size_t index = 0;
      auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
      if (ec == std::errc() && ptr == part.data() + part.size() && index < node->size()) {
        next = &(*node)[index];
      }
    }
    if (next == nullptr) {
      std::vector<std::string> known;
      const Json flat = FlattenParams(tree);
      for (const auto& [k, v] : flat.items())
        known.push_back(k);
      return Error(Code::kNotFound, "'{}' not found in '{}'{}", key, file, DidYouMean(key, known));
    }
    node = next;
  }
  return *node;
}

}  // namespace conveyor
