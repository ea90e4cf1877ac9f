#include "cache/tree_hash.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "common/md5.h"
#include "common/py_json.h"

namespace conveyor {
namespace {

bool IsMd5(std::string_view s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

Result<Tree> BuildTree(std::vector<TreeEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const TreeEntry& a, const TreeEntry& b) { return a.relpath < b.relpath; });
  Tree tree;
  std::string& json = tree.json;
  // Each entry is about 60 bytes plus its escaped path.
  json.reserve(2 + entries.size() * 64);
  json += '[';
  uint64_t size = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const TreeEntry& entry = entries[i];
    if (entry.relpath.empty())
      return Error(Code::kInvalid, "a directory entry has an empty path");
    if (i > 0 && entries[i - 1].relpath == entry.relpath) {
      return Error(Code::kInvalid, "duplicate directory entry '{}'", entry.relpath);
    }
    if (i > 0)
      json += ", ";
    json += "{\"md5\": \"";
    json += entry.md5;
    json += "\", \"relpath\": ";
    Status status = AppendPyJsonString(entry.relpath, json);
    if (!status.ok()) {
      return Error(Code::kInvalid, "file name is not valid UTF-8, which DVC requires: {}",
                   status.message());
    }
    json += '}';
    size += entry.size;
  }
  json += ']';
  tree.hash.md5 = Md5Hex(json) + ".dir";
  tree.hash.size = size;
  tree.hash.nfiles = entries.size();
  tree.entries = std::move(entries);
  return tree;
}

Result<Tree> ParseTree(std::string_view json) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded())
    return Error(Code::kInvalid, "directory object is not valid JSON");
  if (!parsed.is_array())
    return Error(Code::kInvalid, "directory object is not a JSON list");
  Tree tree;
  tree.entries.reserve(parsed.size());
  uint64_t size = 0;
  for (size_t i = 0; i < parsed.size(); ++i) {
    const nlohmann::json& item = parsed[i];
    auto md5 = item.is_object() ? item.find("md5") : item.end();
    auto relpath = item.is_object() ? item.find("relpath") : item.end();
    if (!item.is_object() || md5 == item.end() || relpath == item.end() || !md5->is_string() ||
        !relpath->is_string() || !IsMd5(md5->get_ref<const std::string&>())) {
      return Error(Code::kInvalid,
                   "directory object entry {} needs a string \"relpath\" and a 32-hex-digit "
                   "\"md5\"",
                   i);
    }
    TreeEntry entry;
    entry.relpath = relpath->get<std::string>();
    entry.md5 = md5->get<std::string>();
    auto entry_size = item.find("size");
    if (entry_size != item.end() && entry_size->is_number_unsigned()) {
      entry.size = entry_size->get<uint64_t>();
    }
    size += entry.size;
    tree.entries.push_back(std::move(entry));
  }
  tree.json = std::string(json);
  tree.hash.md5 = Md5Hex(json) + ".dir";
  tree.hash.size = size;
  tree.hash.nfiles = tree.entries.size();
  return tree;
}

}  // namespace conveyor
