// The variables dvc.yaml templates may use (`${...}`), with DVC's rules for
// where they come from (dvc/parsing/context.py):
//   - `params.yaml` beside dvc.yaml, when it exists, is loaded first;
//   - top-level `vars:` entries, in order: inline mappings, and file names
//     ("file.yaml", or "file.yaml:key1,key2" for some top-level keys only);
//   - a stage's own `vars:` on top of those, for that stage only;
//   - `item` and `key` are set for foreach/matrix stages and are reserved.
// Mappings from different sources merge recursively; defining the same leaf
// twice is an error naming both sources. Loading a whole file twice is
// allowed; mixing whole and partial loads of one file, or loading one key
// twice, is an error.
//
// Thread safety: a value; copy it to branch (stage-level vars are merged
// into a copy).
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "pipeline/file_reader.h"

namespace conveyor {

class Context {
 public:
  Context();
  ~Context();
  Context(const Context& other);
  Context& operator=(const Context& other);
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;

  // Merges an inline `vars` mapping; `source` names it in errors
  // ("vars[0]", "train.vars[1]"). Errors (kInvalid):
  //   "cannot redefine 'a.b' from '<source>' as it already exists in '<old>'"
  //   "attempted to modify reserved key item"
  Status MergeInline(const nlohmann::ordered_json& data, const std::string& source);

  // Merges the `vars` file entry `item` ("file.yaml" or "file.yaml:k1,k2"),
  // the file named relative to `wdir` (itself relative to `project_root`).
  // Files are named in errors and sources as normalised paths relative to
  // the project root ("params.yaml", "sub/vars.yaml"). Errors: as
  // MergeInline, and "'<file>' does not exist", "could not find '<key>' in
  // '<file>'", "cannot load '<item>' as it's partially loaded already",
  // "cannot partially load '<item>' as it's already loaded.".
  Status MergeFile(const std::filesystem::path& project_root, std::string_view wdir,
                   std::string_view item);
  // As above, reading the file through `read` (project-relative paths).
  Status MergeFile(const FileReader& read, std::string_view wdir, std::string_view item);

  // Loads `params.yaml` from `wdir` when that file exists (DVC's default).
  Status MergeDefaultParams(const std::filesystem::path& project_root, std::string_view wdir);
  Status MergeDefaultParams(const FileReader& read, std::string_view wdir);

  // Sets a reserved top-level variable (`item`, `key`), replacing any
  // variable of that name; later merges touching it fail.
  void SetReserved(const std::string& name, nlohmann::ordered_json value);

  // The value at a normalised dotted key ("a.b.0"; list indexes may be
  // negative). kNotFound "Could not find '<key>'" plus a suggestion.
  Result<nlohmann::ordered_json> Select(std::string_view dotted_key) const;

  bool Contains(std::string_view top_level_name) const;
  const nlohmann::ordered_json& data() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace conveyor
