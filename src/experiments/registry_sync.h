// Sharing the model registry through a data remote: `conveyor push` uploads
// the experiment records, hand-registered model versions and aliases beside
// the cache objects, and `conveyor serve --remote` (or any other registry)
// imports them, so a machine with no project checkout can list experiments
// and serve `digits@TAG`.
//
// Layout, under the remote's root next to DVC's "files/md5/" (DVC ignores
// it):
//   conveyor/registry/v1/experiments/<id>.json  one per experiment, with the
//                                               model versions it produced
//   conveyor/registry/v1/versions/<id>.json     one per version registered
//                                               by hand (no experiment)
//   conveyor/registry/v1/aliases/<model>.json   the model's aliases
// Every record's <id> is derived from what the record is, not from where it
// was stored (an experiment: its commit, start and end times, author and
// outcome; a hand-registered version: its model name and content hash), so
// pushing the same record from two registries writes one object, and an
// import skips what the target registry already holds. Records are
// immutable once written; local ids and version numbers do not travel (an
// importing registry numbers versions in the order it imports them, oldest
// run first), so tags and aliases are the stable way to name a model
// across machines.
//
// Aliases merge per alias, newest move wins: each entry carries the time of
// the move that set (or removed) it, and a push keeps the remote's entry
// when it is newer than the local one. A registry that never moved an alias
// (a CI runner's fresh one) therefore never overwrites it.
//
// Order: PushRegistry is called after the model objects are on the remote,
// so a record never names content the remote lacks.
//
// Thread safety: one call at a time per store (RegistryStore's rule); the
// remote may be shared.
#pragma once

#include <cstddef>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "registry/registry_store.h"
#include "remote/remote_storage.h"

namespace conveyor {

// Where the records live on a remote ("conveyor/registry/v1/").
inline constexpr std::string_view kRemoteRegistryPrefix = "conveyor/registry/v1/";

// The identity a record travels under (32 hex digits).
std::string ExperimentSyncId(const ExperimentRecord& record);
std::string VersionSyncId(std::string_view model, std::string_view md5);

// The record form of one experiment and the model versions it produced
// (experiments/<id>.json on a remote), for records that are not in a store
// yet: a run whose registry write failed keeps its experiment in this form
// (pending_experiments.h). The versions are dated at the run's end.
nlohmann::ordered_json ExperimentDraftJson(const ExperimentRecord& record,
                                           const std::vector<NewModelVersion>& models);
// Reads that form back; errors name `where` and the field at fault. The
// record is not `named` (a name taken meanwhile gets the ".2" suffix rather
// than failing for ever).
Result<std::pair<ExperimentRecord, std::vector<NewModelVersion>>> ParseExperimentDraftJson(
    const nlohmann::ordered_json& file, const std::string& where);

// The cache objects (md5s, ".dir" for directories) of every model version in
// `store`: what a push must upload for the records to be servable.
Result<std::set<std::string>> RegistryModelObjects(RegistryStore& store);

struct RegistryPushReport {
  size_t experiments_uploaded = 0;
  size_t experiments_present = 0;  // already on the remote
  size_t versions_uploaded = 0;
  size_t versions_present = 0;
  size_t alias_files_written = 0;  // models whose alias file changed
};

// Uploads the records of `store` the remote lacks, and merges its aliases
// into the remote's. `scratch_dir` (created if needed) holds the temporary
// files uploads are made from; they are removed afterwards.
Result<RegistryPushReport> PushRegistry(RegistryStore& store, RemoteStorage& remote,
                                        const std::filesystem::path& scratch_dir);

struct RegistryImportOptions {
  // Also make the store's aliases equal to the remote's (setting, moving
  // and removing): for a registry that only mirrors a remote, as `serve
  // --remote` keeps. Off, aliases are left alone (a project's own registry
  // decides its aliases itself).
  bool mirror_aliases = false;
  std::string actor;  // recorded on alias moves; "remote" when empty
};

struct RegistryImportReport {
  size_t experiments_imported = 0;
  size_t experiments_known = 0;  // on the remote and already in the store
  size_t versions_imported = 0;
  size_t versions_known = 0;
  size_t aliases_changed = 0;
  bool changed() const { return experiments_imported + versions_imported + aliases_changed > 0; }
};

// Adds to `store` the remote's records it lacks, oldest first (experiments
// by start time, hand-registered versions by their position in that
// timeline), each experiment in one transaction with its versions. An
// experiment whose tag is taken by a different experiment gets the store's
// ".2" suffix. A record that does not parse is an error naming its key, and
// nothing after it is imported (what came before stays: each import is
// complete on its own). A remote with no records imports nothing.
Result<RegistryImportReport> ImportRegistry(RemoteStorage& remote, RegistryStore& store,
                                            const std::filesystem::path& scratch_dir,
                                            const RegistryImportOptions& options = {});

}  // namespace conveyor
