// The registry's share of `conveyor push`, `fetch` and `pull` (run without
// targets): push uploads every registered model version's objects with the
// workspace's, then the experiment records, hand-registered versions and
// aliases (experiments/registry_sync.h); fetch and pull import the remote's
// experiments and versions into the project's registry, leaving its aliases
// alone. A project whose registry was never created (a plain DVC project)
// has nothing to push, and gets one only when the remote holds records.
// A checkout whose registry was lost (registry_location.h) cannot push, so
// that it does not publish a history with holes; fetch and pull make it a new
// registry from the remote's records.
//
// Thread safety: called from a command's main thread.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "common/status.h"
#include "experiments/registry_location.h"
#include "pipeline/conveyor_config.h"
#include "pipeline/project.h"
#include "registry/registry_store.h"
#include "remote/remote_storage.h"

namespace conveyor::cli {

class ProjectRegistrySync {
 public:
  // Opens the project's registry (registry_location.h) if it exists. With
  // kRefuse (push), a registry that cannot be opened, lost ones included, is
  // an error that offers --no-registry; with kCreate (fetch, pull) a lost
  // one is left for Import to create.
  static Result<ProjectRegistrySync> Open(const Project& project, LostRegistry lost);

  // Every model version's objects; empty without a registry.
  Result<std::set<std::string>> ModelObjects();
  // Uploads the records; a line for the summary ("2 experiments, 1 alias
  // file pushed") and the same as JSON.
  Result<std::string> Push(RemoteStorage& remote, nlohmann::ordered_json& json);
  // Imports the remote's records (creating the registry if the remote has
  // any); a line for the summary, empty when nothing was new.
  Result<std::string> Import(RemoteStorage& remote, nlohmann::ordered_json& json);

 private:
  ProjectRegistrySync(Project project, ConveyorConfig config, std::unique_ptr<RegistryStore> store)
      : project_(std::move(project)), config_(std::move(config)), store_(std::move(store)) {}

  std::filesystem::path Scratch() const { return project_.dvc_dir() / "tmp" / "registry-sync"; }

  Project project_;
  ConveyorConfig config_;
  std::unique_ptr<RegistryStore> store_;  // null: no registry yet
};

}  // namespace conveyor::cli
