// dvc.lock, schema '2.0' (DVC 2.x and 3.x): what each stage ran with.
//
// Format (docs/formats.md has the full account and the DVC sources):
//
//   schema: '2.0'
//   stages:
//     train:                    # stages in file order; an update replaces a
//       cmd: python train.py    #   stage in place, a new stage is appended
//       deps:                   # sorted by path
//       - path: data
//         hash: md5             # DVC 3 entries only; DVC 2 entries omit it
//         md5: 0b1f...dir
//         size: 1024
//         nfiles: 3             # directories only
//       params:                 # params.yaml first, then files sorted;
//         params.yaml:          #   keys sorted (top level only), as written
//           train.lr: 0.01      #   ("train.lr"), or whole-file top-level keys
//       outs:                   # sorted by path
//       - path: model.pkl
//         hash: md5
//         md5: 5f0c...
//         size: 2048
//
// Supported: schema '2.0' with DVC 2 and DVC 3 entries. Not supported, with
// a clear error: lock files without `schema` (DVC 1), `datasets`, and entry
// fields for cloud or versioned remotes (etag, version_id, cloud, files).
//
// Thread safety: plain values and free functions.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>  // LockedParams holds an ordered_json by value
#include <string>
#include <string_view>
#include <vector>

#include "cache/hash_info.h"
#include "common/status.h"

namespace conveyor {

// One deps or outs entry.
struct LockEntry {
  std::string path;  // relative to the stage's wdir, '/'-separated
  // md5 (".dir" for directories), size, nfiles. An empty md5 means DVC
  // recorded no hash (the entry then has only `path`).
  HashInfo hash;
  // `hash: md5`, written by DVC 3. DVC 2 entries (md5-dos2unix hashes) have
  // no such field; keep false for them so the file is rewritten unchanged.
  bool has_hash_field = true;
  bool isexec = false;  // `isexec: true`, DVC's Meta for executable files

  bool operator==(const LockEntry&) const = default;
};

// The values of one params file, as DVC records them.
struct LockedParams {
  std::string file;  // "params.yaml", relative to the stage's wdir
  // An object: for listed keys, "train.lr" -> value (the key as written in
  // dvc.yaml, dots and all); for a whole-file dependency, the file's
  // top-level keys -> their (possibly nested) values.
  nlohmann::ordered_json values = nlohmann::ordered_json::object();

  bool operator==(const LockedParams&) const = default;
};

struct LockedStage {
  std::string name;
  std::vector<std::string> cmd;  // one element unless cmd_is_list
  bool cmd_is_list = false;
  std::vector<LockEntry> deps;
  std::vector<LockedParams> params;
  std::vector<LockEntry> outs;

  bool operator==(const LockedStage&) const = default;
};

struct LockFile {
  std::vector<LockedStage> stages;  // file order

  // Returns the stage called `name`, or nullptr.
  const LockedStage* Find(std::string_view name) const;
  // Replaces the stage of the same name where it stands, or appends it
  // (DVC updates the round-tripped mapping: data["stages"].update(...)).
  void Upsert(LockedStage stage);
  // Removes the stage called `name`; returns whether it was there.
  bool Remove(std::string_view name);
};

// The mapping DVC writes for one stage (serialize.to_single_stage_lockfile):
// cmd, then deps, params, outs when non-empty, each in DVC's order. This is
// also the run-cache value and the input to its hashes.
nlohmann::ordered_json LockedStageToJson(const LockedStage& stage);

// The bytes DVC would write for `lock`. Errors: a stage without cmd, a
// string DVC's YAML writer cannot express (see EmitDvcYaml).
Result<std::string> FormatLockFile(const LockFile& lock);

// Parses dvc.lock text; `file` names it in errors ("dvc.lock:4:7: ...").
Result<LockFile> ParseLockFile(std::string_view text, std::string_view file);

// Parses one stage's mapping (a run-cache entry's text). `name` is copied to
// the result.
Result<LockedStage> ParseLockedStage(std::string_view text, std::string_view file,
                                     std::string_view name);

// Reads `path`; a missing file reads as an empty LockFile, as in DVC.
Result<LockFile> ReadLockFile(const std::filesystem::path& path);

// Writes `lock` to `path` atomically. With no stages the file is removed
// instead (DVC's Lockfile.remove_stage does the same).
Status WriteLockFile(const std::filesystem::path& path, const LockFile& lock);

}  // namespace conveyor
