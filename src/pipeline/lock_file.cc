#include "pipeline/lock_file.h"

#include <algorithm>
#include <optional>
#include <system_error>
#include <utility>

#include "common/file_util.h"
#include "pipeline/yaml_emit.h"
#include "pipeline/yaml_value.h"

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

// Reads a lock file's (or run-cache entry's) document; every node is named
// by its JSON pointer, so errors can say where it stands.
class Parser {
 public:
  explicit Parser(const YamlDocument& doc) : doc_(doc) {}

  Result<LockFile> ParseFile() const {
    const Json& root = doc_.root();
    if (!root.is_object() || !root.contains("schema")) {
      return Error(Code::kInvalid,
                   "{}: no \"schema: '2.0'\" at the top; lock files from DVC 1 are not "
                   "supported (remove it and rerun the pipeline to regenerate it)",
                   doc_.file());
    }
    LockFile lock;
    for (const auto& [key, value] : root.items()) {
      const std::string pointer = JsonPointerChild("", key);
      if (key == "schema") {
        // Quoted: a plain 2.0 is a float.
        if (!value.is_string() || value.get<std::string>() != "2.0") {
          return Error(Code::kInvalid, "{}: invalid schema version '{}' (expected '2.0')",
                       Where(pointer), doc_.ScalarText(pointer).value_or(""));
        }
      } else if (key == "stages") {
        if (value.is_null())
          continue;
        if (!value.is_object()) {
          return Error(Code::kInvalid, "{}: 'stages' must be a mapping", Where(pointer));
        }
        for (const auto& stage_item : value.items()) {
          const std::string& name = stage_item.key();
          ASSIGN_OR_RETURN(LockedStage stage, ParseStage(JsonPointerChild(pointer, name), name));
          lock.stages.push_back(std::move(stage));
        }
      } else if (key == "datasets") {
        return Error(Code::kInvalid, "{}: 'datasets' in dvc.lock are not supported",
                     KeyWhere(pointer));
      } else {
        return Error(Code::kInvalid, "{}: unknown key '{}' (expected schema, stages)",
                     KeyWhere(pointer), key);
      }
    }
    return lock;
  }

  // The stage at `pointer` ("" for a run-cache entry), named `name`.
  Result<LockedStage> ParseStage(const std::string& pointer, std::string_view name) const {
    const Json& node = At(pointer);
    // An empty run-cache entry reads as {}, but is no mapping.
    if (!node.is_object() || (pointer.empty() && doc_.empty())) {
      return Error(Code::kInvalid, "{}: stage '{}' must be a mapping", Where(pointer), name);
    }
    LockedStage stage;
    stage.name = std::string(name);
    bool has_cmd = false;
    for (const auto& [key, value] : node.items()) {
      const std::string child = JsonPointerChild(pointer, key);
      if (key == "cmd") {
        has_cmd = true;
        RETURN_IF_ERROR(ParseCmd(child, &stage));
      } else if (key == "deps" || key == "outs") {
        ASSIGN_OR_RETURN(auto entries, ParseEntries(child, name, key));
        (key == "deps" ? stage.deps : stage.outs) = std::move(entries);
      } else if (key == "params") {
        ASSIGN_OR_RETURN(stage.params, ParseParams(child, name));
      } else {
        return Error(Code::kInvalid,
                     "{}: stage '{}': unknown key '{}' (expected cmd, deps, params, outs)",
                     KeyWhere(child), name, key);
      }
    }
    if (!has_cmd) {
      return Error(Code::kInvalid, "{}: stage '{}' has no 'cmd'", Where(pointer), name);
    }
    return stage;
  }

 private:
  const Json& At(const std::string& pointer) const {
    return doc_.root().at(Json::json_pointer(pointer));
  }
  std::string Where(std::string_view pointer) const { return doc_.Where(pointer).ToString(); }
  std::string KeyWhere(std::string_view pointer) const { return doc_.KeyWhere(pointer).ToString(); }

  Status ParseCmd(const std::string& pointer, LockedStage* stage) const {
    const Json& value = At(pointer);
    if (std::optional<std::string> text = doc_.ScalarText(pointer)) {
      stage->cmd = {std::move(*text)};
      stage->cmd_is_list = false;
      return OkStatus();
    }
    if (value.is_array()) {
      stage->cmd_is_list = true;
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string item = JsonPointerChild(pointer, i);
        std::optional<std::string> text = doc_.ScalarText(item);
        if (!text) {
          return Error(Code::kInvalid, "{}: stage '{}': cmd items must be strings", Where(item),
                       stage->name);
        }
        stage->cmd.push_back(std::move(*text));
      }
      return OkStatus();
    }
    return Error(Code::kInvalid, "{}: stage '{}': cmd must be a string or a list of strings",
                 Where(pointer), stage->name);
  }

  Result<std::vector<LockEntry>> ParseEntries(const std::string& pointer, std::string_view stage,
                                              std::string_view field) const {
    std::vector<LockEntry> entries;
    const Json& value = At(pointer);
    if (value.is_null())
      return entries;
    if (!value.is_array()) {
      return Error(Code::kInvalid, "{}: stage '{}': '{}' must be a list", Where(pointer), stage,
                   field);
    }
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string what = fmt::format("stage '{}' {}[{}]", stage, field, i);
      ASSIGN_OR_RETURN(LockEntry entry, ParseEntry(JsonPointerChild(pointer, i), what));
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  Result<uint64_t> ParseCount(const std::string& pointer, std::string_view what,
                              std::string_view key) const {
    const Json& value = At(pointer);
    if (!value.is_number_integer() || value.get<int64_t>() < 0) {
      return Error(Code::kInvalid, "{}: {}: '{}' must be a non-negative integer", Where(pointer),
                   what, key);
    }
    return value.get<uint64_t>();
  }

  Result<LockEntry> ParseEntry(const std::string& pointer, std::string_view what) const {
    const Json& node = At(pointer);
    if (!node.is_object()) {
      return Error(Code::kInvalid, "{}: {} must be a mapping", Where(pointer), what);
    }
    LockEntry entry;
    entry.has_hash_field = false;
    bool has_path = false;
    for (const auto& [key, value] : node.items()) {
      const std::string child = JsonPointerChild(pointer, key);
      const std::optional<std::string> text = doc_.ScalarText(child);
      if (key == "path" && text) {
        entry.path = *text;
        has_path = true;
      } else if (key == "hash" && text) {
        if (*text != "md5") {
          return Error(Code::kInvalid, "{}: {}: hash '{}' is not supported (expected md5)",
                       Where(child), what, *text);
        }
        entry.has_hash_field = true;
      } else if (key == "md5" && text) {
        entry.hash.md5 = *text;
      } else if (key == "size") {
        ASSIGN_OR_RETURN(entry.hash.size, ParseCount(child, what, key));
      } else if (key == "nfiles") {
        ASSIGN_OR_RETURN(entry.hash.nfiles, ParseCount(child, what, key));
      } else if (key == "isexec" && value.is_boolean()) {
        entry.isexec = value.get<bool>();
      } else if (key == "path" || key == "hash" || key == "md5" || key == "isexec") {
        return Error(Code::kInvalid, "{}: {}: bad value for '{}'", Where(child), what, key);
      } else {
        return Error(Code::kInvalid,
                     "{}: {}: field '{}' is not supported (conveyor reads local md5 entries: "
                     "path, hash, md5, size, nfiles, isexec)",
                     KeyWhere(child), what, key);
      }
    }
    if (!has_path) {
      return Error(Code::kInvalid, "{}: {} has no 'path'", Where(pointer), what);
    }
    return entry;
  }

  Result<std::vector<LockedParams>> ParseParams(const std::string& pointer,
                                                std::string_view stage) const {
    std::vector<LockedParams> params;
    const Json& value = At(pointer);
    if (value.is_null())
      return params;
    if (!value.is_object()) {
      return Error(Code::kInvalid, "{}: stage '{}': 'params' must be a mapping", Where(pointer),
                   stage);
    }
    for (const auto& [file, values] : value.items()) {
      if (!values.is_object()) {
        return Error(Code::kInvalid, "{}: stage '{}': params of '{}' must be a mapping",
                     Where(JsonPointerChild(pointer, file)), stage, file);
      }
      params.push_back(LockedParams{file, values});
    }
    return params;
  }

  const YamlDocument& doc_;
};

// Lock files and run-cache entries are written back byte for byte, so an
// integer conveyor cannot hold exactly is an error rather than a double.
Result<YamlDocument> ParseDocument(std::string_view text, std::string_view file) {
  return YamlDocument::Parse(text, std::string(file), {.reject_big_integers = true});
}

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
  ASSIGN_OR_RETURN(YamlDocument doc, ParseDocument(text, file));
  return Parser(doc).ParseFile();
}

Result<LockedStage> ParseLockedStage(std::string_view text, std::string_view file,
                                     std::string_view name) {
  ASSIGN_OR_RETURN(YamlDocument doc, ParseDocument(text, file));
  return Parser(doc).ParseStage("", name);
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
