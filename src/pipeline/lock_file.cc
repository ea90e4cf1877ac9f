#include "pipeline/lock_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <system_error>
#include <utility>

#include "common/file_util.h"
#include "pipeline/yaml_emit.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kDefaultParamsFile = "params.yaml";

Json EntryToJson(const LockEntry& entry) {
  // serialize.to_single_stage_lockfile._dumpd: path, hash, then
  // HashInfo.to_dict() (md5), then Meta.to_dict() (size, nfiles, isexec).
  Json j = Json::object();
  j["path"] = entry.path;
  if (entry.has_hash_field)
    j["hash"] = "md5";
  if (!entry.hash.md5.empty()) {
    j["md5"] = entry.hash.md5;
    j["size"] = entry.hash.size;
    if (entry.hash.nfiles)
      j["nfiles"] = *entry.hash.nfiles;
  }
  if (entry.isexec)
    j["isexec"] = true;
  return j;
}

Json EntriesToJson(std::vector<LockEntry> entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const LockEntry& a, const LockEntry& b) { return a.path < b.path; });
  Json list = Json::array();
  for (const LockEntry& entry : entries)
    list.push_back(EntryToJson(entry));
  return list;
}

// serialize._serialize_params_values: files sorted with params.yaml moved to
// the front; each file's keys sorted, not recursively.
Json ParamsToJson(std::vector<LockedParams> params) {
  std::stable_sort(params.begin(), params.end(), [](const LockedParams& a, const LockedParams& b) {
    const bool a_default = a.file == kDefaultParamsFile;
    const bool b_default = b.file == kDefaultParamsFile;
    if (a_default != b_default)
      return a_default;
    return a.file < b.file;
  });
  Json out = Json::object();
  for (const LockedParams& file : params) {
    if (!file.values.is_object()) {
      out[file.file] = file.values;
      continue;
    }
    std::vector<std::string> keys;
    for (const auto& item : file.values.items())
      keys.push_back(item.key());
    std::sort(keys.begin(), keys.end());
    Json sorted = Json::object();
    for (const std::string& key : keys)
      sorted[key] = file.values.at(key);
    out[file.file] = std::move(sorted);
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view file) : file_(file) {}

  Result<YAML::Node> Load(std::string_view text) const {
    try {
      return YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return Error(Code::kInvalid, "{}:{}:{}: {}", file_, e.mark.line + 1, e.mark.column + 1,
                   e.msg);
    }
  }

  Result<LockFile> ParseFile(const YAML::Node& root) const {
    if (!root.IsMap() || !root["schema"]) {
      return Error(Code::kInvalid,
                   "{}: no \"schema: '2.0'\" at the top; lock files from DVC 1 are not "
                   "supported (remove it and rerun the pipeline to regenerate it)",
                   file_);
    }
    LockFile lock;
    for (const auto& item : root) {
      const std::string key = item.first.Scalar();
      const YAML::Node& value = item.second;
      if (key == "schema") {
        if (!value.IsScalar() || value.Tag() == "?" || value.Scalar() != "2.0") {
          return Error(Code::kInvalid, "{}: invalid schema version '{}' (expected '2.0')",
                       YamlWhere(file_, value), value.IsScalar() ? value.Scalar() : "");
        }
      } else if (key == "stages") {
        if (value.IsNull())
          continue;
        if (!value.IsMap()) {
          return Error(Code::kInvalid, "{}: 'stages' must be a mapping", YamlWhere(file_, value));
        }
        for (const auto& stage_item : value) {
          ASSIGN_OR_RETURN(LockedStage stage,
                           ParseStage(stage_item.second, stage_item.first.Scalar()));
          lock.stages.push_back(std::move(stage));
        }
      } else if (key == "datasets") {
        return Error(Code::kInvalid, "{}: 'datasets' in dvc.lock are not supported",
                     YamlWhere(file_, item.first));
      } else {
        return Error(Code::kInvalid, "{}: unknown key '{}' (expected schema, stages)",
                     YamlWhere(file_, item.first), key);
      }
    }
    return lock;
  }

  Result<LockedStage> ParseStage(const YAML::Node& node, std::string_view name) const {
    if (!node.IsMap()) {
      return Error(Code::kInvalid, "{}: stage '{}' must be a mapping", YamlWhere(file_, node),
                   name);
    }
    LockedStage stage;
    stage.name = std::string(name);
    bool has_cmd = false;
    for (const auto& item : node) {
      const std::string key = item.first.Scalar();
      const YAML::Node& value = item.second;
      if (key == "cmd") {
        has_cmd = true;
        RETURN_IF_ERROR(ParseCmd(value, &stage));
      } else if (key == "deps" || key == "outs") {
        ASSIGN_OR_RETURN(auto entries, ParseEntries(value, name, key));
        (key == "deps" ? stage.deps : stage.outs) = std::move(entries);
      } else if (key == "params") {
        ASSIGN_OR_RETURN(stage.params, ParseParams(value, name));
      } else {
        return Error(Code::kInvalid,
                     "{}: stage '{}': unknown key '{}' (expected cmd, deps, params, outs)",
                     YamlWhere(file_, item.first), name, key);
      }
    }
    if (!has_cmd) {
      return Error(Code::kInvalid, "{}: stage '{}' has no 'cmd'", YamlWhere(file_, node), name);
    }
    return stage;
  }

 private:
  Status ParseCmd(const YAML::Node& value, LockedStage* stage) const {
    if (value.IsScalar()) {
      stage->cmd = {value.Scalar()};
      stage->cmd_is_list = false;
      return OkStatus();
    }
    if (value.IsSequence()) {
      stage->cmd_is_list = true;
      for (const YAML::Node& item : value) {
        if (!item.IsScalar()) {
          return Error(Code::kInvalid, "{}: stage '{}': cmd items must be strings",
                       YamlWhere(file_, item), stage->name);
        }
        stage->cmd.push_back(item.Scalar());
      }
      return OkStatus();
    }
    return Error(Code::kInvalid, "{}: stage '{}': cmd must be a string or a list of strings",
                 YamlWhere(file_, value), stage->name);
  }

  Result<std::vector<LockEntry>> ParseEntries(const YAML::Node& value, std::string_view stage,
                                              std::string_view field) const {
    std::vector<LockEntry> entries;
    if (value.IsNull())
      return entries;
    if (!value.IsSequence()) {
      return Error(Code::kInvalid, "{}: stage '{}': '{}' must be a list", YamlWhere(file_, value),
                   stage, field);
    }
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string what = fmt::format("stage '{}' {}[{}]", stage, field, i);
      ASSIGN_OR_RETURN(LockEntry entry, ParseEntry(value[i], what));
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  Result<uint64_t> ParseCount(const YAML::Node& value, std::string_view what,
                              std::string_view key) const {
    auto json = YamlToJson(value, file_);
    if (!json.ok() || !json->is_number_integer() || json->get<int64_t>() < 0) {
      return Error(Code::kInvalid, "{}: {}: '{}' must be a non-negative integer",
                   YamlWhere(file_, value), what, key);
    }
    return json->get<uint64_t>();
  }

  Result<LockEntry> ParseEntry(const YAML::Node& node, std::string_view what) const {
    if (!node.IsMap()) {
      return Error(Code::kInvalid, "{}: {} must be a mapping", YamlWhere(file_, node), what);
    }
    LockEntry entry;
    entry.has_hash_field = false;
    bool has_path = false;
    for (const auto& item : node) {
      const std::string key = item.first.Scalar();
      const YAML::Node& value = item.second;
      const bool scalar = value.IsScalar();
      if (key == "path" && scalar) {
        entry.path = value.Scalar();
        has_path = true;
      } else if (key == "hash" && scalar) {
        if (value.Scalar() != "md5") {
          return Error(Code::kInvalid, "{}: {}: hash '{}' is not supported (expected md5)",
                       YamlWhere(file_, value), what, value.Scalar());
        }
        entry.has_hash_field = true;
      } else if (key == "md5" && scalar) {
        entry.hash.md5 = value.Scalar();
      } else if (key == "size") {
        ASSIGN_OR_RETURN(entry.hash.size, ParseCount(value, what, key));
      } else if (key == "nfiles") {
        ASSIGN_OR_RETURN(entry.hash.nfiles, ParseCount(value, what, key));
      } else if (key == "isexec" && scalar && value.Tag() == "?" &&
                 ResolvePlainScalar(value.Scalar()) == PlainScalarTag::kBool) {
        entry.isexec = value.Scalar()[0] == 't' || value.Scalar()[0] == 'T';
      } else if (key == "path" || key == "hash" || key == "md5" || key == "isexec") {
        return Error(Code::kInvalid, "{}: {}: bad value for '{}'", YamlWhere(file_, value), what,
                     key);
      } else {
        return Error(Code::kInvalid,
                     "{}: {}: field '{}' is not supported (conveyor reads local md5 entries: "
                     "path, hash, md5, size, nfiles, isexec)",
                     YamlWhere(file_, item.first), what, key);
      }
    }
    if (!has_path) {
      return Error(Code::kInvalid, "{}: {} has no 'path'", YamlWhere(file_, node), what);
    }
    return entry;
  }

  Result<std::vector<LockedParams>> ParseParams(const YAML::Node& value,
                                                std::string_view stage) const {
    std::vector<LockedParams> params;
    if (value.IsNull())
      return params;
    if (!value.IsMap()) {
      return Error(Code::kInvalid, "{}: stage '{}': 'params' must be a mapping",
                   YamlWhere(file_, value), stage);
    }
    for (const auto& item : value) {
      LockedParams file;
      file.file = item.first.Scalar();
      if (!item.second.IsMap()) {
        return Error(Code::kInvalid, "{}: stage '{}': params of '{}' must be a mapping",
                     YamlWhere(file_, item.second), stage, file.file);
      }
      ASSIGN_OR_RETURN(file.values, YamlToJson(item.second, file_));
      params.push_back(std::move(file));
    }
    return params;
  }

  std::string file_;
};

}  // namespace

const LockedStage* LockFile::Find(std::string_view name) const {
  for (const LockedStage& stage : stages) {
    if (stage.name == name)
      return &stage;
  }
  return nullptr;
}

void LockFile::Upsert(LockedStage stage) {
  for (LockedStage& existing : stages) {
    if (existing.name == stage.name) {
      existing = std::move(stage);
      return;
    }
  }
  stages.push_back(std::move(stage));
}

bool LockFile::Remove(std::string_view name) {
  const auto it = std::find_if(stages.begin(), stages.end(),
                               [&](const LockedStage& s) { return s.name == name; });
  if (it == stages.end())
    return false;
  stages.erase(it);
  return true;
}

nlohmann::ordered_json LockedStageToJson(const LockedStage& stage) {
  Json j = Json::object();
  if (stage.cmd_is_list) {
    j["cmd"] = stage.cmd;
  } else {
    j["cmd"] = stage.cmd.empty() ? std::string() : stage.cmd.front();
  }
  if (!stage.deps.empty())
    j["deps"] = EntriesToJson(stage.deps);
  if (!stage.params.empty())
    j["params"] = ParamsToJson(stage.params);
  if (!stage.outs.empty())
    j["outs"] = EntriesToJson(stage.outs);
  return j;
}

Result<std::string> FormatLockFile(const LockFile& lock) {
  Json stages = Json::object();
  for (const LockedStage& stage : lock.stages) {
    if (stage.cmd.empty() || (!stage.cmd_is_list && stage.cmd.size() != 1)) {
      return Error(Code::kInvalid, "stage '{}': dvc.lock needs exactly one cmd string or a list",
                   stage.name);
    }
    if (stages.contains(stage.name)) {
      return Error(Code::kInvalid, "stage '{}' appears twice", stage.name);
    }
    stages[stage.name] = LockedStageToJson(stage);
  }
  Json doc = Json::object();
  doc["schema"] = "2.0";
  doc["stages"] = std::move(stages);
  return EmitDvcYaml(doc);
}

Result<LockFile> ParseLockFile(std::string_view text, std::string_view file) {
  const Parser parser(file);
  ASSIGN_OR_RETURN(YAML::Node root, parser.Load(text));
  return parser.ParseFile(root);
}

Result<LockedStage> ParseLockedStage(std::string_view text, std::string_view file,
                                     std::string_view name) {
  const Parser parser(file);
  ASSIGN_OR_RETURN(YAML::Node root, parser.Load(text));
  return parser.ParseStage(root, name);
}

Result<LockFile> ReadLockFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return LockFile{};
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseLockFile(text, path.string());
}

Status WriteLockFile(const std::filesystem::path& path, const LockFile& lock) {
  if (lock.stages.empty()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec)
      return Error(Code::kIo, "cannot remove {}: {}", path.string(), ec.message());
    return OkStatus();
  }
  ASSIGN_OR_RETURN(std::string text, FormatLockFile(lock));
  return AtomicWriteFile(path, text);
}

}  // namespace conveyor
