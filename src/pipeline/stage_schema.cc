#include "pipeline/stage_schema.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "common/nearest.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

enum class Kind { kString, kBool, kList, kMapping, kStringOrList, kAny };

struct Field {
  const char* name;
  Kind kind;
};

const char* Describe(Kind kind) {
  switch (kind) {
    case Kind::kString:
      return "a string";
    case Kind::kBool:
      return "a boolean";
    case Kind::kList:
      return "a list";
    case Kind::kMapping:
      return "a mapping";
    case Kind::kStringOrList:
      return "a string or a list";
    case Kind::kAny:
      return "anything";
  }
  return "";
}

bool Matches(const Json& value, Kind kind) {
  switch (kind) {
    case Kind::kString:
      return value.is_string();
    case Kind::kBool:
      return value.is_boolean();
    case Kind::kList:
      return value.is_array();
    case Kind::kMapping:
      return value.is_object();
    case Kind::kStringOrList:
      return value.is_string() || value.is_array();
    case Kind::kAny:
      return true;
  }
  return false;
}

class Checker {
 public:
  Checker(const YamlDocument& doc, std::string what) : doc_(doc), what_(std::move(what)) {}

  Status Fail(const std::string& pointer, bool at_key, std::string_view message) const {
    SourceLocation where = at_key ? doc_.KeyWhere(pointer) : doc_.Where(pointer);
    return Error(Code::kInvalid, "{}: {}{}", where.ToString(), what_, message);
  }

  Status Type(const Json& value, const std::string& pointer, std::string_view field,
              Kind kind) const {
    if (Matches(value, kind))
      return OkStatus();
    return Fail(
        pointer, false,
        fmt::format("'{}' must be {}, got {}", field, Describe(kind), PythonTypeName(value)));
  }

  // Checks that every key of `mapping` is one of `fields` and has its type.
  Status Fields(const Json& mapping, const std::string& pointer, std::string_view prefix,
                const std::vector<Field>& fields) const {
    std::vector<std::string> names;
    names.reserve(fields.size());
    for (const Field& field : fields)
      names.emplace_back(field.name);
    for (const auto& [key, value] : mapping.items()) {
      const std::string child = JsonPointerChild(pointer, key);
      const Field* found = nullptr;
      for (const Field& field : fields) {
        if (key == field.name)
          found = &field;
      }
      if (found == nullptr) {
        return Fail(child, true,
                    fmt::format("unknown key '{}{}'{}", prefix, key, DidYouMean(key, names)));
      }
      RETURN_IF_ERROR(Type(value, child, fmt::format("{}{}", prefix, key), found->kind));
    }
    return OkStatus();
  }

  Status StringList(const Json& list, const std::string& pointer, std::string_view field) const {
    for (size_t i = 0; i < list.size(); ++i) {
      RETURN_IF_ERROR(Type(list[i], JsonPointerChild(pointer, i), fmt::format("{}[{}]", field, i),
                           Kind::kString));
    }
    return OkStatus();
  }

  // outs / metrics / plots entries: a path, or {path: {flags}}.
  Status Outs(const Json& list, const std::string& pointer, std::string_view field,
              bool plots) const {
    std::vector<Field> flags = {
        {"cache", Kind::kBool},    {"persist", Kind::kBool}, {"checkpoint", Kind::kBool},
        {"remote", Kind::kString}, {"push", Kind::kBool},    {"desc", Kind::kString},
        {"type", Kind::kString},   {"labels", Kind::kList},  {"meta", Kind::kAny}};
    if (plots) {
      for (const char* prop : {"template", "x", "y", "x_label", "y_label", "title"}) {
        flags.push_back({prop, Kind::kString});
      }
      flags.push_back({"header", Kind::kBool});
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const Json& entry = list[i];
      const std::string entry_pointer = JsonPointerChild(pointer, i);
      const std::string label = fmt::format("{}[{}]", field, i);
      if (entry.is_string())
        continue;
      if (!entry.is_object()) {
        return Fail(entry_pointer, false,
                    fmt::format("'{}' must be a string or a mapping, got {}", label,
                                PythonTypeName(entry)));
      }
      for (const auto& [path, props] : entry.items()) {
        const std::string props_pointer = JsonPointerChild(entry_pointer, path);
        if (!props.is_object()) {
          return Fail(props_pointer, false,
                      fmt::format("'{}' entry '{}' must be a mapping of flags, got {}", field, path,
                                  PythonTypeName(props)));
        }
        RETURN_IF_ERROR(Fields(props, props_pointer, "", flags));
      }
    }
    return OkStatus();
  }

 private:
  const YamlDocument& doc_;
  std::string what_;
};

const std::vector<Field>& StageFields() {
  static const std::vector<Field> kFields = {
      {"cmd", Kind::kStringOrList}, {"wdir", Kind::kString}, {"deps", Kind::kList},
      {"params", Kind::kList},      {"outs", Kind::kList},   {"metrics", Kind::kList},
      {"plots", Kind::kList},       {"frozen", Kind::kBool}, {"always_changed", Kind::kBool},
      {"desc", Kind::kString},      {"meta", Kind::kAny},    {"vars", Kind::kList},
      {"matrix", Kind::kMapping},
  };
  return kFields;
}

Status CheckStageBody(const Checker& check, const Json& body, const std::string& pointer,
                      bool allow_matrix) {
  std::vector<Field> fields = StageFields();
  if (!allow_matrix)
    fields.pop_back();
  RETURN_IF_ERROR(check.Fields(body, pointer, "", fields));
  if (!body.contains("cmd")) {
    return check.Fail(pointer, true, "missing required key 'cmd'");
  }
  auto child = [&pointer](std::string_view key) { return JsonPointerChild(pointer, key); };
  if (body.contains("deps"))
    RETURN_IF_ERROR(check.StringList(body["deps"], child("deps"), "deps"));
  if (body.contains("params")) {
    const Json& params = body["params"];
    for (size_t i = 0; i < params.size(); ++i) {
      if (!params[i].is_string() && !params[i].is_object()) {
        return check.Fail(JsonPointerChild(child("params"), i), false,
                          fmt::format("'params[{}]' must be a string or a mapping, got {}", i,
                                      PythonTypeName(params[i])));
      }
    }
  }
  if (body.contains("vars")) {
    const Json& vars = body["vars"];
    for (size_t i = 0; i < vars.size(); ++i) {
      if (!vars[i].is_string() && !vars[i].is_object()) {
        return check.Fail(JsonPointerChild(child("vars"), i), false,
                          fmt::format("'vars[{}]' must be a string or a mapping, got {}", i,
                                      PythonTypeName(vars[i])));
      }
    }
  }
  for (const char* key : {"outs", "metrics"}) {
    if (body.contains(key))
      RETURN_IF_ERROR(check.Outs(body[key], child(key), key, false));
  }
  if (body.contains("plots"))
    RETURN_IF_ERROR(check.Outs(body["plots"], child("plots"), "plots", true));
  if (body.contains("matrix")) {
    for (const auto& [key, value] : body["matrix"].items()) {
      if (!value.is_string() && !value.is_array()) {
        return check.Fail(JsonPointerChild(child("matrix"), key), false,
                          fmt::format("'matrix.{}' must be a string or a list, got {}", key,
                                      PythonTypeName(value)));
      }
    }
  }
  return OkStatus();
}

}  // namespace

std::string PythonTypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return "str";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::number_float:
      return "float";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "int";
    case Json::value_t::array:
      return "list";
    case Json::value_t::object:
      return "dict";
    default:
      return "NoneType";
  }
}

Status CheckTopLevelSchema(const YamlDocument& doc) {
  Checker check(doc, "");
  if (!doc.root().is_object()) {
    return check.Fail(
        "", false,
        fmt::format("expected a mapping at the top level, got {}", PythonTypeName(doc.root())));
  }
  RETURN_IF_ERROR(check.Fields(doc.root(), "", "",
                               {{"stages", Kind::kMapping},
                                {"vars", Kind::kList},
                                {"params", Kind::kList},
                                {"metrics", Kind::kList},
                                {"plots", Kind::kList},
                                {"artifacts", Kind::kMapping},
                                {"datasets", Kind::kAny}}));
  for (const char* key : {"params", "metrics"}) {
    if (doc.root().contains(key)) {
      RETURN_IF_ERROR(check.StringList(doc.root()[key], JsonPointerChild("", key), key));
    }
  }
  if (doc.root().contains("vars")) {
    const Json& vars = doc.root()["vars"];
    for (size_t i = 0; i < vars.size(); ++i) {
      if (!vars[i].is_string() && !vars[i].is_object()) {
        return check.Fail(JsonPointerChild("/vars", i), false,
                          fmt::format("'vars[{}]' must be a string or a mapping, got {}", i,
                                      PythonTypeName(vars[i])));
      }
    }
  }
  return OkStatus();
}

Status CheckStageSchema(const YamlDocument& doc, const std::string& pointer,
                        std::string_view stage_name) {
  Checker check(doc, fmt::format("stage '{}': ", stage_name));
  const Json& body = doc.root().at(nlohmann::ordered_json::json_pointer(pointer));
  if (!body.is_object()) {
    return check.Fail(pointer, false,
                      fmt::format("expected a mapping, got {}", PythonTypeName(body)));
  }
  if (body.contains("foreach") || body.contains("do")) {
    RETURN_IF_ERROR(
        check.Fields(body, pointer, "", {{"foreach", Kind::kAny}, {"do", Kind::kMapping}}));
    if (!body.contains("foreach"))
      return check.Fail(pointer, true, "missing required key 'foreach'");
    if (!body.contains("do"))
      return check.Fail(pointer, true, "missing required key 'do'");
    const Json& data = body["foreach"];
    if (!data.is_string() && !data.is_array() && !data.is_object()) {
      return check.Fail(JsonPointerChild(pointer, "foreach"), false,
                        fmt::format("'foreach' must be a list, a mapping or a string, got {}",
                                    PythonTypeName(data)));
    }
    return CheckStageBody(check, body["do"], JsonPointerChild(pointer, "do"), false);
  }
  return CheckStageBody(check, body, pointer, true);
}

}  // namespace conveyor
