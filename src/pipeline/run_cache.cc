#include "pipeline/run_cache.h"

#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "common/file_util.h"
#include "common/py_json.h"
#include "pipeline/yaml_emit.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

// dvc.utils.dict_filter with exclude=[Meta.PARAM_SIZE, Meta.PARAM_NFILES].
Json WithoutSizes(const Json& value) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& item : value)
      out.push_back(WithoutSizes(item));
    return out;
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, item] : value.items()) {
      if (key == "size" || key == "nfiles")
        continue;
      out[key] = WithoutSizes(item);
    }
    return out;
  }
  return value;
}

Result<std::string> Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return Error(Code::kInternal, "OpenSSL SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

// dvc.stage.cache._get_cache_hash.
Result<std::string> CacheHash(const Json& entry) {
  ASSIGN_OR_RETURN(std::string bytes, PyJsonDumps(WithoutSizes(entry)));
  return Sha256Hex(bytes);
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::filesystem::path KeyDir(const std::filesystem::path& cache_dir, std::string_view key) {
  return cache_dir / "runs" / std::string(key.substr(0, 2)) / std::string(key);
}

}  // namespace

bool IsRunCacheable(const Stage& stage) {
  if (stage.cmd.empty() || stage.always_changed)
    return false;
  if (stage.deps.empty() && stage.params.empty())
    return false;
  if (stage.outs.empty())
    return false;
  return std::none_of(stage.outs.begin(), stage.outs.end(),
                      [](const OutSpec& out) { return out.persist; });
}

Result<std::optional<std::string>> ComputeRunCacheKey(const LockedStage& stage) {
  const bool no_deps = stage.deps.empty() && stage.params.empty();
  if (stage.cmd.empty() || no_deps || stage.outs.empty())
    return std::optional<std::string>();
  for (const LockEntry& dep : stage.deps) {
    if (dep.hash.md5.empty())
      return std::optional<std::string>();
  }
  for (const LockedParams& params : stage.params) {
    if (params.values.empty())
      return std::optional<std::string>();
  }
  Json entry = LockedStageToJson(stage);
  Json paths = Json::array();
  for (const Json& out : entry["outs"])
    paths.push_back(out["path"]);
  entry["outs"] = std::move(paths);
  ASSIGN_OR_RETURN(std::string key, CacheHash(entry));
  return std::optional<std::string>(std::move(key));
}

Result<std::string> ComputeRunCacheValue(const LockedStage& stage) {
  return CacheHash(LockedStageToJson(stage));
}

Result<std::vector<RunCacheEntry>> LookupRunCache(const std::filesystem::path& cache_dir,
                                                  std::string_view key) {
  std::vector<RunCacheEntry> entries;
  if (!IsHex64(key))
    return Error(Code::kInvalid, "bad run-cache key '{}'", key);
  const std::filesystem::path dir = KeyDir(cache_dir, key);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return entries;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec)
    return Error(Code::kIo, "cannot list {}: {}", dir.string(), ec.message());
  for (const std::filesystem::directory_entry& file : it) {
    const std::string value = file.path().filename().string();
    if (!IsHex64(value))
      continue;  // temporary files of a Save() in flight
    auto text = ReadFileToString(file.path());
    if (!text.ok())
      continue;
    auto stage = ParseLockedStage(*text, file.path().string(), "");
    if (!stage.ok())
      continue;
    const auto mtime = file.last_write_time(ec);
    if (ec)
      continue;
    entries.push_back(RunCacheEntry{value, std::move(*stage), mtime});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const RunCacheEntry& a, const RunCacheEntry& b) {
                     if (a.mtime != b.mtime)
                       return a.mtime > b.mtime;
                     return a.value < b.value;
                   });
  return entries;
}

Result<std::optional<std::filesystem::path>> SaveRunCache(const std::filesystem::path& cache_dir,
                                                          const LockedStage& stage) {
  using MaybePath = std::optional<std::filesystem::path>;
  ASSIGN_OR_RETURN(std::optional<std::string> key, ComputeRunCacheKey(stage));
  if (!key)
    return MaybePath();
  ASSIGN_OR_RETURN(std::string value, ComputeRunCacheValue(stage));
  const std::filesystem::path dir = KeyDir(cache_dir, *key);
  const std::filesystem::path path = dir / value;
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    return MaybePath(path);
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Error(Code::kIo, "cannot create {}: {}", dir.string(), ec.message());
  ASSIGN_OR_RETURN(std::string text, EmitDvcYaml(LockedStageToJson(stage)));
  RETURN_IF_ERROR(AtomicWriteFile(path, text));
  return MaybePath(path);
}

}  // namespace conveyor
