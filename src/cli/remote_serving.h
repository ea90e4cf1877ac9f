// `conveyor serve --remote`: serving a model straight from a data remote on a
// machine with no project checkout.
//
// The server keeps a mirror of the remote in a state directory (default
// $XDG_CACHE_HOME/conveyor/remotes/<hash of the URL>, else
// ~/.cache/conveyor/remotes/…):
//   registry.db   a SQLite registry holding the remote's experiments, model
//                 versions and aliases (experiments/registry_sync.h)
//   cache/        the model objects fetched so far, md5-checked
//   serving/      the checked-out model directories the loader serves
//   lock          taken while the mirror is updated, so two servers sharing
//                 a state directory never import the same record twice
// Before every load (at start and on each /replace_ml_model) the mirror is
// brought up to date and the version's objects are fetched if missing, so
// `digits@production` follows a promotion pushed after the server started.
// When the remote cannot be reached the mirror as it stands is used (with a
// warning), so a restart during a remote outage still serves the model
// fetched before.
//
// Thread safety: RemoteModelLoader::Load may be called from any thread; it
// serialises its calls.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "cache/object_store.h"
#include "common/status.h"
#include "experiments/registry_sync.h"
#include "registry/registry_store.h"
#include "remote/remote_storage.h"
#include "serving/model_loader.h"

namespace conveyor::cli {

struct RemoteServingOptions {
  // A URL (s3://bucket/prefix, ssh://host/path, a folder), or, run inside a
  // project, the name of one of its remotes.
  std::string remote;
  // "KEY=VALUE" remote options for a URL (endpointurl=http://…, region=…),
  // checked as `conveyor remote modify` checks them.
  std::vector<std::string> options;
  // Empty: the default under the user's cache directory.
  std::filesystem::path state_dir;
};

// The remote `options` names: a project remote's configuration, or one built
// from the URL and options. `cwd` is where a remote name is looked up.
Result<RemoteConfig> ResolveServingRemote(const RemoteServingOptions& options,
                                          const std::filesystem::path& cwd);

// Where the mirror of `remote` lives by default: one directory per URL and
// endpoint.
std::filesystem::path DefaultMirrorDir(const RemoteConfig& remote);

// A remote and the local mirror of its registry and model objects.
class RemoteMirror {
 public:
  static Result<std::unique_ptr<RemoteMirror>> Open(const RemoteConfig& remote,
                                                    std::filesystem::path state_dir);
  // The same over a storage the caller opened (tests give a fake).
  static Result<std::unique_ptr<RemoteMirror>> Open(std::unique_ptr<RemoteStorage> remote,
                                                    std::filesystem::path state_dir);

  // Imports what the remote has that the mirror lacks (aliases mirrored).
  // Call from one thread at a time.
  Result<RegistryImportReport> Sync();
  // Fetches `md5` (and the files a ".dir" lists) into the mirror's cache
  // unless present.
  Status FetchObject(const std::string& md5);

  RemoteStorage& remote() { return *remote_; }
  RegistryStore& store() { return *store_; }
  ObjectStore objects() const { return ObjectStore(state_dir_ / "cache"); }
  std::filesystem::path serving_dir() const { return state_dir_ / "serving"; }
  // "sqlite:<state>/registry.db": a second store for the metas endpoint.
  std::string registry_url() const;
  const std::filesystem::path& state_dir() const { return state_dir_; }

 private:
  RemoteMirror(std::unique_ptr<RemoteStorage> remote, std::unique_ptr<RegistryStore> store,
               std::filesystem::path state_dir);

  std::unique_ptr<RemoteStorage> remote_;
  std::unique_ptr<RegistryStore> store_;
  std::filesystem::path state_dir_;
};

// The model loader `serve --remote` uses: sync the mirror, fetch the
// version's objects, then load as RegistryModelLoader does.
class RemoteModelLoader : public serving::ModelLoader {
 public:
  // Told about a sync that failed but was survived (the remote unreachable).
  using Warn = std::function<void(const std::string&)>;

  RemoteModelLoader(RemoteMirror& mirror, serving::BatchOptions batch, Warn warn);

  Result<std::unique_ptr<serving::ServedModel>> Load(std::string_view ref) override;

  // The version `model@alias` names on the remote, after bringing the mirror
  // up to date: what `serve --remote -m NAME@ALIAS` follows. The sync's error
  // when the remote cannot be read (the follower keeps the model it has);
  // kNotFound when the alias is unset. Serialised with Load.
  Result<int> AliasVersion(const std::string& model, const std::string& alias);

 private:
  std::mutex mu_;  // serialises Load and AliasVersion (the mirror's store has one user)
  RemoteMirror& mirror_;
  serving::RegistryModelLoader inner_;
  Warn warn_;
};

}  // namespace conveyor::cli
