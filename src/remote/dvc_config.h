// A project's remote settings in DVC's own files: .dvc/config (committed)
// and .dvc/config.local (ignored by Git, for secrets and per-machine
// overrides). Reads both, merges them as DVC does (config.local wins, key by
// key), and edits one of them at a time, keeping every line the edit does not
// touch (see ini_document.h).
//
// Layout, as DVC writes it:
//   [core]
//       remote = storage
//   ['remote "storage"']
//       url = s3://bucket/path
//       endpointurl = http://127.0.0.1:9000
//
// Thread safety: a value type; not synchronised. Save() replaces each file
// atomically, but two processes editing at once can lose one edit (DVC takes
// no lock either).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "remote/ini_document.h"
#include "remote/remote_options.h"

namespace conveyor {

enum class ConfigLevel {
  kRepo,   // .dvc/config
  kLocal,  // .dvc/config.local
};

// A remote as the merged configuration defines it.
struct RemoteConfig {
  std::string name;
  std::string url;
  // Every option but url, merged across levels.
  std::map<std::string, std::string> options;
  // The directory a relative local url is relative to: the .dvc directory.
  std::filesystem::path base_dir;
  // Where url was set.
  ConfigLevel url_level = ConfigLevel::kRepo;
};

class DvcConfig {
 public:
  // Reads `<dvc_dir>/config` and `<dvc_dir>/config.local`; either may be
  // missing. Parse errors name the file (".dvc/config:7: ...").
  static Result<DvcConfig> Load(const std::filesystem::path& dvc_dir);

  // Remotes of the merged configuration: those of config in file order, then
  // those only config.local defines. A remote without a url is an error that
  // names its section's line.
  Result<std::vector<RemoteConfig>> Remotes() const;
  // One remote by name (case-insensitive); kNotFound lists the known ones.
  Result<RemoteConfig> Remote(std::string_view name) const;
  // core.remote of the merged configuration (lower-cased, as DVC reads it).
  std::optional<std::string> DefaultRemote() const;
  // The default of one level only.
  std::optional<std::string> DefaultRemote(ConfigLevel level) const;
  bool HasRemote(ConfigLevel level, std::string_view name) const;

  // Edits (in memory until Save). Names are validated and lower-cased;
  // options checked against the remote's type (remote_options.h).
  //
  // Adds a remote at `level`; kAlreadyExists unless `force`, which replaces
  // the remote's section at that level. `url` is written as given, except
  // sftp:// becomes ssh://.
  Status AddRemote(ConfigLevel level, std::string_view name, std::string_view url, bool force);
  // Sets one option at `level`; the remote must exist at some level.
  Status SetRemoteOption(ConfigLevel level, std::string_view name, std::string_view option,
                         std::string_view value);
  // Removes one option at `level`; not an error when it was not set.
  Status UnsetRemoteOption(ConfigLevel level, std::string_view name, std::string_view option);
  // Removes the remote's section at `level` (kNotFound if none), and
  // core.remote where it names the remote: at config.local, and at config
  // too when `level` is kRepo (as `dvc remote remove` does).
  Status RemoveRemote(ConfigLevel level, std::string_view name);
  // Sets core.remote at `level`; the remote must exist at some level.
  Status SetDefaultRemote(ConfigLevel level, std::string_view name);
  void UnsetDefaultRemote(ConfigLevel level);

  // Writes the levels edited since Load (temp file + rename).
  Status Save();

  // The file's text as Save would write it.
  std::string Text(ConfigLevel level) const { return Level(level).doc.Serialize(); }
  static std::string DisplayName(ConfigLevel level);

 private:
  struct LevelFile {
    std::filesystem::path path;
    IniDocument doc;
    bool dirty = false;
  };

  static std::string SectionFor(std::string_view name);
  const LevelFile& Level(ConfigLevel level) const;
  LevelFile& Level(ConfigLevel level);
  // The remote's type from its merged url (kLocal when unset).
  Result<RemoteType> TypeOf(std::string_view name) const;

  std::filesystem::path dvc_dir_;
  LevelFile repo_;
  LevelFile local_;
};

// The value DVC stores for a path option given on the command line: URLs and
// absolute paths as they are; a relative path (relative to `cwd`) made
// relative to `dvc_dir`, with '/' separators.
std::string PathForConfig(std::string_view value, const std::filesystem::path& cwd,
                          const std::filesystem::path& dvc_dir);

}  // namespace conveyor
