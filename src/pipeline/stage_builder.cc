#include "pipeline/stage_builder.h"

#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "pipeline/stage_schema.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

const char* const kPlotProps[] = {"template", "x", "y", "x_label", "y_label", "title", "header"};

class Builder {
 public:
  explicit Builder(const YamlDocument& doc) : doc_(doc) {}

  Result<Stage> Build(const std::string& name, const Json& body, const std::string& pointer,
                      const std::string& wdir) const {
    auto at = [&pointer](std::string_view key) { return JsonPointerChild(pointer, key); };
    Stage stage;
    stage.name = name;
    stage.wdir = wdir.empty() ? "." : wdir;

    const Json& cmd = body["cmd"];
    if (cmd.is_string()) {
      stage.cmd.push_back(cmd.get<std::string>());
    } else if (cmd.is_array()) {
      stage.cmd_is_list = true;
      for (size_t i = 0; i < cmd.size(); ++i) {
        ASSIGN_OR_RETURN(std::string line, StringAt(cmd[i], JsonPointerChild(at("cmd"), i), name,
                                                    fmt::format("cmd[{}]", i)));
        stage.cmd.push_back(std::move(line));
      }
    } else {
      return StageError(
          at("cmd"), name,
          fmt::format("'cmd' must be a string or a list, got {}", PythonTypeName(cmd)));
    }

    if (body.contains("deps")) {
      const Json& deps = body["deps"];
      for (size_t i = 0; i < deps.size(); ++i) {
        const std::string p = JsonPointerChild(at("deps"), i);
        ASSIGN_OR_RETURN(std::string dep, StringAt(deps[i], p, name, fmt::format("deps[{}]", i)));
        stage.deps.push_back(std::move(dep));
        stage.deps_where.push_back(doc_.Where(p));
      }
    }
    if (body.contains("params"))
      RETURN_IF_ERROR(BuildParams(name, body["params"], at("params"), &stage));
    for (const char* section : {"outs", "metrics", "plots"}) {
      if (body.contains(section)) {
        RETURN_IF_ERROR(BuildOuts(name, section, body[section], at(section), &stage));
      }
    }
    if (body.contains("frozen")) {
      ASSIGN_OR_RETURN(stage.frozen, BoolAt(body["frozen"], at("frozen"), name, "frozen"));
    }
    if (body.contains("always_changed")) {
      ASSIGN_OR_RETURN(stage.always_changed, BoolAt(body["always_changed"], at("always_changed"),
                                                    name, "always_changed"));
    }
    if (body.contains("desc")) {
      ASSIGN_OR_RETURN(stage.desc, StringAt(body["desc"], at("desc"), name, "desc"));
    }
    return stage;
  }

  // DVC's _merge_params: one entry per file in first-seen order; a file
  // given with no keys is tracked whole, and its keys listed elsewhere are
  // dropped.
 private:
  Result<std::string> StringAt(const Json& value, const std::string& pointer, std::string_view name,
                               std::string_view field) const {
    if (value.is_string())
      return value.get<std::string>();
    return StageError(pointer, name,
                      fmt::format("'{}' must be a string, got {}", field, PythonTypeName(value)));
  }

  Result<bool> BoolAt(const Json& value, const std::string& pointer, std::string_view name,
                      std::string_view field) const {
    if (value.is_boolean())
      return value.get<bool>();
    return StageError(pointer, name,
                      fmt::format("'{}' must be a boolean, got {}", field, PythonTypeName(value)));
  }

  Status StageError(const std::string& pointer, std::string_view name,
                    std::string_view message) const {
    return Error(Code::kInvalid, "{}: stage '{}': {}", doc_.Where(pointer).ToString(), name,
                 message);
  }

  Status BuildParams(const std::string& name, const Json& params, const std::string& pointer,
                     Stage* stage) const {
    auto spec_for = [stage](const std::string& file) -> ParamSpec* {
      for (ParamSpec& spec : stage->params) {
        if (spec.file == file)
          return &spec;
      }
      return nullptr;
    };
    std::vector<std::string> whole;
    for (const Json& entry : params) {
      if (!entry.is_object())
        continue;
      for (const auto& [file, keys] : entry.items()) {
        const bool empty = keys.is_null() || (keys.is_array() && keys.empty()) ||
                           (keys.is_object() && keys.empty()) ||
                           (keys.is_string() && keys.get<std::string>().empty());
        if (empty)
          whole.push_back(file);
      }
    }
    auto is_whole = [&whole](const std::string& file) {
      return std::find(whole.begin(), whole.end(), file) != whole.end();
    };
    for (size_t i = 0; i < params.size(); ++i) {
      const Json& entry = params[i];
      const std::string entry_pointer = JsonPointerChild(pointer, i);
      std::vector<std::pair<std::string, const Json*>> files;
      if (entry.is_string()) {
        if (is_whole("params.yaml"))
          continue;
        static const Json kNone;
        files.emplace_back("params.yaml", &kNone);
      } else if (entry.is_object()) {
        for (const auto& [file, keys] : entry.items())
          files.emplace_back(file, &keys);
      } else {
        return StageError(entry_pointer, name,
                          fmt::format("'params[{}]' must be a string or a mapping, got {}", i,
                                      PythonTypeName(entry)));
      }
      for (const auto& [file, keys] : files) {
        ParamSpec* spec = spec_for(file);
        if (spec == nullptr) {
          stage->params.push_back(ParamSpec{file, {}, false, doc_.Where(entry_pointer)});
          spec = &stage->params.back();
        }
        if (is_whole(file) && !entry.is_string()) {
          spec->whole_file = true;
          spec->keys.clear();
          continue;
        }
        if (entry.is_string()) {
          spec->keys.push_back(entry.get<std::string>());
          continue;
        }
        if (!keys->is_array()) {
          return StageError(JsonPointerChild(entry_pointer, file), name,
                            fmt::format("expected list of params for custom params file '{}', "
                                        "got '{}'",
                                        file, PythonTypeName(*keys)));
        }
        for (size_t k = 0; k < keys->size(); ++k) {
          const Json& key = (*keys)[k];
          const std::string key_pointer =
              JsonPointerChild(JsonPointerChild(entry_pointer, file), k);
          ASSIGN_OR_RETURN(
              std::string text,
              StringAt(key, key_pointer, name, fmt::format("params[{}].{}[{}]", i, file, k)));
          spec->keys.push_back(std::move(text));
        }
      }
    }
    return OkStatus();
  }

  Status BuildOuts(const std::string& name, std::string_view section, const Json& list,
                   const std::string& pointer, Stage* stage) const {
    const OutKind kind = section == "outs"      ? OutKind::kOut
                         : section == "metrics" ? OutKind::kMetric
                                                : OutKind::kPlot;
    // DVC's _merge_data: flags of repeated paths are merged, first position kept.
    Json merged = Json::object();
    std::vector<std::pair<std::string, std::string>> first_pointer;
    for (size_t i = 0; i < list.size(); ++i) {
      const Json& entry = list[i];
      const std::string entry_pointer = JsonPointerChild(pointer, i);
      if (entry.is_string()) {
        const std::string path = entry.get<std::string>();
        if (!merged.contains(path)) {
          merged[path] = Json::object();
          first_pointer.emplace_back(path, entry_pointer);
        }
        continue;
      }
      if (!entry.is_object()) {
        return StageError(entry_pointer, name,
                          fmt::format("'{}[{}]' must be a string or a mapping, got {}", section, i,
                                      PythonTypeName(entry)));
      }
      for (const auto& [path, flags] : entry.items()) {
        if (!merged.contains(path)) {
          merged[path] = Json::object();
          first_pointer.emplace_back(path, JsonPointerChild(entry_pointer, path));
        }
        if (!flags.is_object()) {
          return StageError(
              JsonPointerChild(entry_pointer, path), name,
              fmt::format("expected dict for '{}', got: '{}'", path, PythonTypeName(flags)));
        }
        merged[path].update(flags);
      }
    }
    for (const auto& [path, where_pointer] : first_pointer) {
      const Json& flags = merged[path];
      OutSpec out;
      out.path = path;
      out.kind = kind;
      out.where = doc_.KeyWhere(where_pointer);
      const std::string label = fmt::format("{}.{}", section, path);
      if (flags.contains("cache")) {
        ASSIGN_OR_RETURN(out.cache, BoolAt(flags["cache"], where_pointer, name, label + ".cache"));
      }
      if (flags.contains("persist")) {
        ASSIGN_OR_RETURN(out.persist,
                         BoolAt(flags["persist"], where_pointer, name, label + ".persist"));
      }
      if (flags.contains("push")) {
        ASSIGN_OR_RETURN(out.push, BoolAt(flags["push"], where_pointer, name, label + ".push"));
      }
      if (flags.contains("desc")) {
        ASSIGN_OR_RETURN(out.desc, StringAt(flags["desc"], where_pointer, name, label + ".desc"));
      }
      if (flags.contains("remote")) {
        ASSIGN_OR_RETURN(out.remote,
                         StringAt(flags["remote"], where_pointer, name, label + ".remote"));
      }
      if (kind == OutKind::kPlot) {
        Json props = Json::object();
        for (const char* prop : kPlotProps) {
          if (flags.contains(prop))
            props[prop] = flags[prop];
        }
        if (!props.empty())
          out.plot_props = props.dump();
      }
      stage->outs.push_back(std::move(out));
    }
    return OkStatus();
  }

  const YamlDocument& doc_;
};

}  // namespace

Result<Stage> BuildStage(const YamlDocument& doc, const std::string& name, const Json& body,
                         const std::string& pointer, const std::string& wdir) {
  return Builder(doc).Build(name, body, pointer, wdir);
}

}  // namespace conveyor
