#include "pipeline/conveyor_config.h"

#include <nlohmann/json.hpp>

#include "common/nearest.h"
#include "pipeline/dag.h"
#include "pipeline/yaml_value.h"

namespace conveyor {

namespace {

using Json = nlohmann::ordered_json;

Status CheckKeys(const YamlDocument& doc, const std::string& pointer,
                 const std::vector<std::string>& allowed, std::string_view what) {
  for (const auto& [key, value] : doc.root().at(Json::json_pointer(pointer)).items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Error(Code::kInvalid, "{}: unknown key '{}' in {}{}",
                   doc.KeyWhere(JsonPointerChild(pointer, key)).ToString(), key, what,
                   DidYouMean(key, allowed));
    }
  }
  return OkStatus();
}

Result<std::string> StringField(const YamlDocument& doc, const std::string& pointer,
                                std::string_view field) {
  const Json& value = doc.root().at(Json::json_pointer(pointer));
  if (!value.is_string() || value.get<std::string>().empty()) {
    return Error(Code::kInvalid, "{}: '{}' must be a non-empty string",
                 doc.Where(pointer).ToString(), field);
  }
  return value.get<std::string>();
}

Result<std::string> ProjectPathField(const YamlDocument& doc, const std::string& pointer,
                                     std::string_view field) {
  ASSIGN_OR_RETURN(std::string text, StringField(doc, pointer, field));
  auto joined = JoinProjectPath(".", text);
  if (!joined.ok() || text.front() == '/') {
    return Error(Code::kInvalid, "{}: '{}' must be a path inside the project, got '{}'",
                 doc.Where(pointer).ToString(), field, text);
  }
  return *joined;
}

Result<DeclaredModel> ParseModel(const YamlDocument& doc, const std::string& pointer,
                                 const std::string& name) {
  DeclaredModel model;
  model.name = name;
  model.where = doc.KeyWhere(pointer);
  const Json& node = doc.root().at(Json::json_pointer(pointer));
  if (!node.is_object()) {
    return Error(Code::kInvalid, "{}: model '{}' must be a mapping with at least 'path'",
                 doc.Where(pointer).ToString(), name);
  }
  RETURN_IF_ERROR(
      CheckKeys(doc, pointer, {"path", "spec", "description"}, fmt::format("model '{}'", name)));
  if (!node.contains("path")) {
    return Error(Code::kInvalid, "{}: model '{}' has no 'path' (the pipeline output it is)",
                 model.where.ToString(), name);
  }
  ASSIGN_OR_RETURN(model.path, ProjectPathField(doc, pointer + "/path", "path"));
  if (node.contains("spec")) {
    ASSIGN_OR_RETURN(model.spec, ProjectPathField(doc, pointer + "/spec", "spec"));
  }
  if (node.contains("description")) {
    ASSIGN_OR_RETURN(model.description, StringField(doc, pointer + "/description", "description"));
  }
  return model;
}

}  // namespace

namespace {

Result<ConveyorConfig> ConfigFromDocument(const YamlDocument& doc) {
  ConveyorConfig config;
  if (!doc.root().is_object()) {
    return Error(Code::kInvalid, "{}: expected a mapping at the top level", doc.file());
  }
  RETURN_IF_ERROR(CheckKeys(doc, "", {"registry", "models"}, "conveyor.yaml"));
  if (doc.root().contains("registry")) {
    ASSIGN_OR_RETURN(config.registry, StringField(doc, "/registry", "registry"));
    config.registry_where = doc.Where("/registry");
  }
  if (doc.root().contains("models")) {
    const Json& models = doc.root().at("models");
    if (!models.is_object()) {
      return Error(Code::kInvalid, "{}: 'models' must be a mapping of model name to settings",
                   doc.Where("/models").ToString());
    }
    for (const auto& [name, value] : models.items()) {
      ASSIGN_OR_RETURN(DeclaredModel model,
                       ParseModel(doc, JsonPointerChild("/models", name), name));
      config.models.push_back(std::move(model));
    }
  }
  return config;
}

}  // namespace

Result<ConveyorConfig> ParseConveyorConfig(std::string_view text, const std::string& display_name) {
  ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(text, display_name));
  return ConfigFromDocument(doc);
}

Result<ConveyorConfig> LoadConveyorConfig(const std::filesystem::path& project_root) {
  auto doc =
      YamlDocument::LoadFile(project_root / ConveyorConfig::kFileName, ConveyorConfig::kFileName);
  if (!doc.ok() && doc.status().code() == Code::kNotFound)
    return ConveyorConfig{};
  RETURN_IF_ERROR(doc.status());
  return ConfigFromDocument(*doc);
}

}  // namespace conveyor
