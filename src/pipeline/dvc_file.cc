#include "pipeline/dvc_file.h"

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

// Python truthiness, for DVC's `if value` / funcy.compact filters.
bool Truthy(const Json& value) {
  if (value.is_null())
    return false;
  if (value.is_boolean())
    return value.get<bool>();
  if (value.is_number())
    return value != 0;
  if (value.is_string() || value.is_object() || value.is_array())
    return !value.empty();
  return true;
}

// What apply_diff leaves behind when DVC rewrites a mapping it loaded: the
// keys it had, in their old order, then new keys in `fresh`'s order.
Json KeepOrder(const Json& fresh, const std::vector<std::string>& old_order) {
  if (old_order.empty())
    return fresh;
  Json out = Json::object();
  for (const std::string& key : old_order) {
    if (fresh.contains(key))
      out[key] = fresh.at(key);
  }
  for (const auto& [key, value] : fresh.items()) {
    if (!out.contains(key))
      out[key] = value;
  }
  return out;
}

// Output.dumpd (dvc/output.py) for a local output without files.
Json OutToJson(const DvcOut& out) {
  Json j = Json::object();
  if (!out.hash.md5.empty()) {
    j["md5"] = out.hash.md5;    // HashInfo.to_dict()
    j["size"] = out.hash.size;  // Meta.to_dict(): size, nfiles, isexec
    if (out.hash.nfiles)
      j["nfiles"] = *out.hash.nfiles;
  }
  if (out.isexec)
    j["isexec"] = true;
  if (out.has_hash_field)
    j["hash"] = "md5";
  j["path"] = out.path;
  if (!out.desc.empty())
    j["desc"] = out.desc;  // Annotation.to_dict()
  if (!out.type.empty())
    j["type"] = out.type;
  if (!out.labels.empty())
    j["labels"] = out.labels;
  if (Truthy(out.meta))
    j["meta"] = out.meta;
  if (!out.cache)
    j["cache"] = false;
  if (out.persist)
    j["persist"] = true;
  if (!out.remote.empty())
    j["remote"] = out.remote;
  if (!out.push)
    j["push"] = false;
  return j;
}

// Reads a .dvc file's document; every node is named by its JSON pointer, so
// errors can say where it stands.
class Parser {
 public:
  explicit Parser(const YamlDocument& doc) : doc_(doc) {}

  Result<DvcFile> Parse() const {
    const Json& root = doc_.root();
    if (!root.is_object() || doc_.empty()) {
      return Error(Code::kInvalid, "{}: a .dvc file must be a mapping", doc_.file());
    }
    DvcFile file;
    for (const auto& [key, value] : root.items()) {
      const std::string pointer = JsonPointerChild("", key);
      file.key_order.push_back(key);
      if (key == "outs") {
        if (value.is_null())
          continue;
        if (!value.is_array()) {
          return Error(Code::kInvalid, "{}: 'outs' must be a list", Where(pointer));
        }
        for (size_t i = 0; i < value.size(); ++i) {
          ASSIGN_OR_RETURN(DvcOut out, ParseOut(JsonPointerChild(pointer, i), i));
          file.outs.push_back(std::move(out));
        }
        file.outs_in_file = file.outs.size();
      } else if (key == "desc") {
        ASSIGN_OR_RETURN(file.desc, String(pointer, key));
      } else if (key == "frozen") {
        ASSIGN_OR_RETURN(file.frozen, Bool(pointer, key));
      } else if (key == "meta") {
        file.meta = value;
      } else if (key == "md5" || key == "deps" || key == "cmd" || key == "wdir" ||
                 key == "always_changed" || key == "locked") {
        return Error(Code::kInvalid,
                     "{}: '{}' is not supported: conveyor reads .dvc files made by `dvc add`, "
                     "not imports or command stages",
                     KeyWhere(pointer), key);
      } else {
        return Error(Code::kInvalid, "{}: unknown key '{}' (expected outs, desc, frozen, meta)",
                     KeyWhere(pointer), key);
      }
    }
    return file;
  }

 private:
  const Json& At(const std::string& pointer) const {
    return doc_.root().at(Json::json_pointer(pointer));
  }
  std::string Where(std::string_view pointer) const { return doc_.Where(pointer).ToString(); }
  std::string KeyWhere(std::string_view pointer) const { return doc_.KeyWhere(pointer).ToString(); }

  // Any scalar but null, as the file spells it.
  Result<std::string> String(const std::string& pointer, std::string_view what) const {
    std::optional<std::string> text = doc_.ScalarText(pointer);
    if (!text) {
      return Error(Code::kInvalid, "{}: '{}' must be a string", Where(pointer), what);
    }
    return std::move(*text);
  }

  Result<bool> Bool(const std::string& pointer, std::string_view what) const {
    const Json& value = At(pointer);
    if (!value.is_boolean()) {
      return Error(Code::kInvalid, "{}: '{}' must be true or false", Where(pointer), what);
    }
    return value.get<bool>();
  }

  Result<uint64_t> Count(const std::string& pointer, std::string_view what) const {
    const Json& value = At(pointer);
    if (!value.is_number_integer() || value.get<int64_t>() < 0) {
      return Error(Code::kInvalid, "{}: '{}' must be a non-negative integer", Where(pointer), what);
    }
    return value.get<uint64_t>();
  }

  Result<DvcOut> ParseOut(const std::string& pointer, size_t index) const {
    const Json& node = At(pointer);
    if (!node.is_object()) {
      return Error(Code::kInvalid, "{}: outs[{}] must be a mapping", Where(pointer), index);
    }
    DvcOut out;
    out.has_hash_field = false;
    bool has_path = false;
    for (const auto& [key, value] : node.items()) {
      const std::string child = JsonPointerChild(pointer, key);
      out.key_order.push_back(key);
      if (key == "path") {
        ASSIGN_OR_RETURN(out.path, String(child, key));
        has_path = true;
      } else if (key == "md5") {
        ASSIGN_OR_RETURN(out.hash.md5, String(child, key));
      } else if (key == "hash") {
        ASSIGN_OR_RETURN(std::string name, String(child, key));
        if (name != "md5") {
          return Error(Code::kInvalid, "{}: hash '{}' is not supported (expected md5)",
                       Where(child), name);
        }
        out.has_hash_field = true;
      } else if (key == "size") {
        ASSIGN_OR_RETURN(out.hash.size, Count(child, key));
      } else if (key == "nfiles") {
        ASSIGN_OR_RETURN(out.hash.nfiles, Count(child, key));
      } else if (key == "isexec") {
        ASSIGN_OR_RETURN(out.isexec, Bool(child, key));
      } else if (key == "desc") {
        ASSIGN_OR_RETURN(out.desc, String(child, key));
      } else if (key == "type") {
        ASSIGN_OR_RETURN(out.type, String(child, key));
      } else if (key == "labels") {
        if (!value.is_array()) {
          return Error(Code::kInvalid, "{}: 'labels' must be a list", Where(child));
        }
        for (size_t i = 0; i < value.size(); ++i) {
          ASSIGN_OR_RETURN(std::string text, String(JsonPointerChild(child, i), key));
          out.labels.push_back(std::move(text));
        }
      } else if (key == "meta") {
        out.meta = value;
      } else if (key == "cache") {
        ASSIGN_OR_RETURN(out.cache, Bool(child, key));
      } else if (key == "persist") {
        ASSIGN_OR_RETURN(out.persist, Bool(child, key));
      } else if (key == "remote") {
        ASSIGN_OR_RETURN(out.remote, String(child, key));
      } else if (key == "push") {
        ASSIGN_OR_RETURN(out.push, Bool(child, key));
      } else {
        return Error(Code::kInvalid,
                     "{}: outs[{}]: field '{}' is not supported (conveyor reads local md5 "
                     "outputs)",
                     KeyWhere(child), index, key);
      }
    }
    if (!has_path) {
      return Error(Code::kInvalid, "{}: outs[{}] has no 'path'", Where(pointer), index);
    }
    return out;
  }

  const YamlDocument& doc_;
};

std::string EscapeGitWildMatch(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::string_view("[]!*#?").find(c) != std::string_view::npos)
      out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

DvcFile MakeAddedDvcFile(std::string path, HashInfo hash, bool isexec) {
  DvcOut out;
  out.path = std::move(path);
  out.hash = std::move(hash);
  out.isexec = isexec;
  DvcFile file;
  file.outs.push_back(std::move(out));
  return file;
}

Result<std::string> FormatDvcFile(const DvcFile& file) {
  const bool keep_out_order = file.outs.size() == file.outs_in_file;
  Json outs = Json::array();
  for (const DvcOut& out : file.outs) {
    const Json fresh = OutToJson(out);
    outs.push_back(keep_out_order ? KeepOrder(fresh, out.key_order) : fresh);
  }
  // stage.utils.get_dump: desc, md5, cmd, wdir, frozen, deps, outs,
  // always_changed, meta; falsy values left out.
  Json doc = Json::object();
  if (!file.desc.empty())
    doc["desc"] = file.desc;
  if (file.frozen)
    doc["frozen"] = true;
  if (!outs.empty())
    doc["outs"] = std::move(outs);
  if (Truthy(file.meta))
    doc["meta"] = file.meta;
  return EmitDvcYaml(KeepOrder(doc, file.key_order));
}

Result<DvcFile> ParseDvcFile(std::string_view text, std::string_view file_name) {
  // Written back byte for byte: an integer conveyor cannot hold exactly is an
  // error rather than a double.
  ASSIGN_OR_RETURN(YamlDocument doc, YamlDocument::Parse(text, std::string(file_name),
                                                         {.reject_big_integers = true}));
  return Parser(doc).Parse();
}

Result<DvcFile> ReadDvcFile(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseDvcFile(text, path.string());
}

Status WriteDvcFile(const std::filesystem::path& path, const DvcFile& file) {
  ASSIGN_OR_RETURN(std::string text, FormatDvcFile(file));
  return AtomicWriteFile(path, text);
}

Result<bool> AddToGitignore(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..") {
    return Error(Code::kInvalid, "cannot add '{}' to .gitignore: no file name", path.string());
  }
  const std::string entry = "/" + EscapeGitWildMatch(name);
  const std::filesystem::path gitignore = path.parent_path() / ".gitignore";
  std::string contents;
  std::error_code ec;
  // A new .gitignore gets AtomicWriteFile's default mode; an existing one
  // keeps its own, as an append would.
  std::filesystem::perms mode =
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
      std::filesystem::perms::group_read | std::filesystem::perms::others_read;
  if (std::filesystem::exists(gitignore, ec)) {
    ASSIGN_OR_RETURN(contents, ReadFileToString(gitignore));
    const std::filesystem::file_status status = std::filesystem::status(gitignore, ec);
    if (!ec)
      mode = status.permissions();
  }
  size_t pos = 0;
  while (pos < contents.size()) {
    size_t end = contents.find('\n', pos);
    if (end == std::string::npos)
      end = contents.size();
    if (std::string_view(contents).substr(pos, end - pos) == entry)
      return false;
    pos = end + 1;
  }
  if (!contents.empty() && contents.back() != '\n')
    contents += '\n';
  contents += entry + "\n";
  RETURN_IF_ERROR(AtomicWriteFile(gitignore, contents, mode));
  return true;
}

}  // namespace conveyor
