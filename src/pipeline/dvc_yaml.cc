#include "pipeline/dvc_yaml.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "pipeline/context.h"
#include "pipeline/stage_builder.h"
#include "pipeline/stage_schema.h"
#include "pipeline/yaml_value.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

std::string NormalizedDir(const std::filesystem::path& base, std::string_view wdir) {
  std::string out = (base / std::filesystem::path(wdir)).lexically_normal().generic_string();
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  if (out == ".")
    out.clear();
  return out;
}

// Whether any string in `value` (or mapping key) contains `${`.
bool HasInterpolation(const Json& value) {
  if (value.is_string())
    return IsInterpolated(value.get<std::string>());
  if (value.is_array()) {
    for (const Json& item : value) {
      if (HasInterpolation(item))
        return true;
    }
  }
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (IsInterpolated(key) || HasInterpolation(item))
        return true;
    }
  }
  return false;
}

class Loader {
 public:
  Loader(const FileReader& read, const YamlDocument& doc, std::filesystem::path dir,
         const InterpolateOptions& options)
      : read_(read), doc_(doc), dir_(std::move(dir)), options_(options) {}

  Result<PipelineFile> Run() {
    RETURN_IF_ERROR(CheckTopLevelSchema(doc_));
    PipelineFile file;
    file.path = doc_.file();
    RETURN_IF_ERROR(LoadGlobalVars());
    const Json& top = doc_.root();
    if (top.contains("stages")) {
      for (const auto& [name, definition] : top["stages"].items()) {
        RETURN_IF_ERROR(LoadStage(name, &file.stages));
      }
    }
    for (const char* section : {"params", "metrics", "plots"}) {
      if (!top.contains(section))
        continue;
      const Json& list = top[section];
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string what = fmt::format("'{}.{}'", section, i);
        const std::string pointer = JsonPointerChild(JsonPointerChild("", section), i);
        ASSIGN_OR_RETURN(Json value, Resolve(list[i], pointer, *context_, "", what, true));
        if (std::string_view(section) == "plots") {
          file.plots.push_back(value.dump());
          continue;
        }
        if (!value.is_string()) {
          return Fail(pointer, what,
                      fmt::format("expected a string, got {}", PythonTypeName(value)));
        }
        (std::string_view(section) == "params" ? file.params : file.metrics)
            .push_back(value.get<std::string>());
      }
    }
    if (top.contains("artifacts"))
      file.artifacts = top["artifacts"].dump();
    if (top.contains("datasets"))
      file.datasets = top["datasets"].dump();
    return file;
  }

 private:
  Status Fail(const std::string& pointer, std::string_view what, std::string_view message,
              bool at_key = false) const {
    SourceLocation where = at_key ? doc_.KeyWhere(pointer) : doc_.Where(pointer);
    return Error(Code::kInvalid, "{}: failed to parse {}: {}", where.ToString(), what, message);
  }

  // Checks syntax (unless `skip_checks`) and resolves `value`, naming the
  // failing string's position in errors.
  Result<Json> Resolve(const Json& value, const std::string& pointer, const Context& context,
                       std::string_view field, std::string_view what, bool check) const {
    std::string failed;
    if (check) {
      Status status = CheckExpressions(value, &failed);
      if (!status.ok())
        return Fail(pointer + failed, what, status.message());
    }
    Result<Json> resolved = ResolveValue(value, context, field, options_, &failed);
    if (!resolved.ok())
      return Fail(pointer + failed, what, resolved.status().message());
    return resolved;
  }

  Status LoadVars(Context* context, const Json& vars, const std::string& pointer,
                  std::string_view wdir, std::string_view what, const std::string& source_prefix) {
    if (HasInterpolation(vars))
      return Fail(pointer, what, "interpolating is not allowed");
    for (size_t i = 0; i < vars.size(); ++i) {
      Status status =
          vars[i].is_string()
              ? context->MergeFile(read_, wdir, vars[i].get<std::string>())
              : context->MergeInline(vars[i], fmt::format("{}vars[{}]", source_prefix, i));
      if (!status.ok())
        return Fail(JsonPointerChild(pointer, i), what, status.message());
    }
    return OkStatus();
  }

  Status LoadGlobalVars() {
    context_ = std::make_unique<Context>();
    const std::string dir = NormalizedDir(dir_, "");
    Status status = context_->MergeDefaultParams(read_, dir);
    if (!status.ok())
      return Fail("", "'vars'", status.message());
    if (!doc_.root().contains("vars"))
      return OkStatus();
    return LoadVars(context_.get(), doc_.root()["vars"], "/vars", dir, "'vars'", "");
  }

  Status LoadStage(const std::string& name, std::vector<Stage>* stages) {
    const std::string pointer = JsonPointerChild("/stages", name);
    if (name.empty() || name.find('@') != std::string::npos) {
      return Error(Code::kInvalid,
                   "{}: invalid stage name '{}': names must be non-empty and may not contain "
                   "'@', which separates foreach/matrix keys",
                   doc_.KeyWhere(pointer).ToString(), name);
    }
    RETURN_IF_ERROR(CheckStageSchema(doc_, pointer, name));
    const Json& definition = doc_.root()["stages"][name];
    const SourceLocation where = doc_.KeyWhere(pointer);
    if (definition.contains("matrix"))
      return ExpandMatrix(name, pointer, where, stages);
    if (definition.contains("foreach"))
      return ExpandForeach(name, pointer, where, stages);
    ASSIGN_OR_RETURN(Stage stage, ResolveEntry(name, definition, pointer, *context_, true));
    stage.where = where;
    stages->push_back(std::move(stage));
    return OkStatus();
  }

  Status CheckTemplate(const std::string& group, const Json& body, const std::string& pointer) {
    for (const auto& [key, value] : body.items()) {
      std::string failed;
      Status status = CheckExpressions(value, &failed);
      if (!status.ok()) {
        return Fail(JsonPointerChild(pointer, key) + failed,
                    fmt::format("'stages.{}.{}'", group, key), status.message());
      }
    }
    return OkStatus();
  }

  Status ExpandForeach(const std::string& name, const std::string& pointer,
                       const SourceLocation& where, std::vector<Stage>* stages) {
    const Json& definition = doc_.root()["stages"][name];
    const std::string data_pointer = JsonPointerChild(pointer, "foreach");
    const std::string what = fmt::format("'stages.{}.foreach'", name);
    ASSIGN_OR_RETURN(Json data,
                     Resolve(definition["foreach"], data_pointer, *context_, "", what, true));
    if (!data.is_array() && !data.is_object()) {
      return Error(Code::kInvalid, "{}: failed to resolve {}: expected list/dictionary, got {}",
                   doc_.Where(data_pointer).ToString(), what, PythonTypeName(data));
    }
    // DVC's normalized_iterable: dict keys; a list's values, or its indexes
    // when any element is a list or dict.
    Json iterable = Json::object();
    if (data.is_object()) {
      iterable = data;
    } else {
      bool composite = false;
      for (const Json& item : data)
        composite = composite || item.is_array() || item.is_object();
      for (size_t i = 0; i < data.size(); ++i) {
        iterable[composite ? std::to_string(i) : ToStr(data[i])] = data[i];
      }
    }
    const Json& body = definition["do"];
    const std::string body_pointer = JsonPointerChild(pointer, "do");
    RETURN_IF_ERROR(CheckTemplate(name, body, body_pointer));
    for (const auto& [key, item] : iterable.items()) {
      Context context = *context_;
      context.SetReserved("item", item);
      if (data.is_object())
        context.SetReserved("key", key);
      ASSIGN_OR_RETURN(Stage stage, ResolveEntry(fmt::format("{}@{}", name, key), body,
                                                 body_pointer, context, false));
      stage.generated_from = name;
      stage.where = where;
      stages->push_back(std::move(stage));
    }
    return OkStatus();
  }

  Status ExpandMatrix(const std::string& name, const std::string& pointer,
                      const SourceLocation& where, std::vector<Stage>* stages) {
    Json body = doc_.root()["stages"][name];
    const std::string matrix_pointer = JsonPointerChild(pointer, "matrix");
    const std::string what = fmt::format("'stages.{}.matrix'", name);
    ASSIGN_OR_RETURN(Json matrix,
                     Resolve(body["matrix"], matrix_pointer, *context_, "", what, true));
    body.erase("matrix");
    std::vector<std::string> keys;
    std::vector<const Json*> lists;
    for (const auto& [key, values] : matrix.items()) {
      if (!values.is_array()) {
        return Error(Code::kInvalid, "{}: failed to resolve {}: expected list for '{}', got {}",
                     doc_.Where(JsonPointerChild(matrix_pointer, key)).ToString(), what, key,
                     PythonTypeName(values));
      }
      keys.push_back(key);
      lists.push_back(&values);
    }
    RETURN_IF_ERROR(CheckTemplate(name, body, pointer));
    // itertools.product: the last key varies fastest.
    std::vector<size_t> index(keys.size(), 0);
    for (const Json* list : lists) {
      if (list->empty())
        return OkStatus();
    }
    while (true) {
      Json item = Json::object();
      std::string joined;
      for (size_t k = 0; k < keys.size(); ++k) {
        const Json& value = (*lists[k])[index[k]];
        item[keys[k]] = value;
        if (k > 0)
          joined += '-';
        joined += (value.is_array() || value.is_object()) ? fmt::format("{}{}", keys[k], index[k])
                                                          : ToStr(value);
      }
      Context context = *context_;
      context.SetReserved("key", joined);
      context.SetReserved("item", item);
      ASSIGN_OR_RETURN(Stage stage, ResolveEntry(fmt::format("{}@{}", name, joined), body, pointer,
                                                 context, false));
      stage.generated_from = name;
      stage.where = where;
      stages->push_back(std::move(stage));
      size_t k = keys.size();
      while (k > 0) {
        --k;
        if (++index[k] < lists[k]->size())
          break;
        index[k] = 0;
        if (k == 0)
          return OkStatus();
      }
      if (keys.empty())
        return OkStatus();
    }
  }

  Result<Stage> ResolveEntry(const std::string& name, const Json& body, const std::string& pointer,
                             Context context, bool check) {
    if (check)
      RETURN_IF_ERROR(CheckTemplate(name, body, pointer));
    auto field_pointer = [&pointer](std::string_view key) {
      return JsonPointerChild(pointer, key);
    };
    auto what = [&name](std::string_view key) { return fmt::format("'stages.{}.{}'", name, key); };

    std::string wdir;
    if (body.contains("wdir") && !body["wdir"].get<std::string>().empty()) {
      ASSIGN_OR_RETURN(Json resolved, Resolve(body["wdir"], field_pointer("wdir"), context, "wdir",
                                              what("wdir"), false));
      wdir = resolved.is_string() ? resolved.get<std::string>() : ToStr(resolved);
    }
    if (body.contains("vars")) {
      RETURN_IF_ERROR(LoadVars(&context, body["vars"], field_pointer("vars"),
                               NormalizedDir(dir_, wdir), what("vars"), name + "."));
    }
    Json resolved = Json::object();
    for (const auto& [key, value] : body.items()) {
      if (key == "vars")
        continue;
      ASSIGN_OR_RETURN(resolved[key],
                       Resolve(value, field_pointer(key), context, key, what(key), false));
    }
    return BuildStage(doc_, name, resolved, pointer, wdir);
  }

  const FileReader& read_;  // project-relative paths
  const YamlDocument& doc_;
  std::filesystem::path dir_;  // the directory of dvc.yaml, project-relative
  const InterpolateOptions& options_;
  std::unique_ptr<Context> context_;  // after top-level vars
};

}  // namespace

Result<PipelineFile> LoadDvcYaml(const std::filesystem::path& project_root,
                                 const std::filesystem::path& dvc_yaml_relpath,
                                 const InterpolateOptions& options) {
  return LoadDvcYaml(DiskFileReader(project_root), dvc_yaml_relpath, options);
}

Result<PipelineFile> LoadDvcYaml(const FileReader& read,
                                 const std::filesystem::path& dvc_yaml_relpath,
                                 const InterpolateOptions& options) {
  const std::string display = dvc_yaml_relpath.lexically_normal().generic_string();
  ASSIGN_OR_RETURN(std::optional<std::string> text, read(display));
  if (!text)
    return Error(Code::kNotFound, "'{}' does not exist", display);
  ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(*text, display));
  try {
    Loader loader(read, doc, dvc_yaml_relpath.parent_path(), options);
    return loader.Run();
  } catch (const nlohmann::ordered_json::exception& e) {
    return Error(Code::kInternal, "{}: {}", display, e.what());
  }
}

}  // namespace conveyor
