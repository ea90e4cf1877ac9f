#include "cli/registry_transfer.h"

#include <fmt/format.h>

#include "experiments/registry_sync.h"

namespace conveyor::cli {
namespace {

std::string Count(size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

Result<ProjectRegistrySync> ProjectRegistrySync::Open(const Project& project, LostRegistry lost) {
  ASSIGN_OR_RETURN(ConveyorConfig config, LoadConveyorConfig(project.root()));
  Result<std::unique_ptr<RegistryStore>> store =
      OpenExistingProjectRegistry(project, config, "", lost);
  if (!store.ok() && lost == LostRegistry::kRefuse) {
    return Error(store.status().code(), "{}; or push the data alone with --no-registry",
                 store.status().message());
  }
  if (!store.ok())
    return store.status();
  return ProjectRegistrySync(project, std::move(config), std::move(*store));
}

Result<std::set<std::string>> ProjectRegistrySync::ModelObjects() {
  if (store_ == nullptr) {
    return std::set<std::string>{};
  }
  return RegistryModelObjects(*store_);
}

Result<std::string> ProjectRegistrySync::Push(RemoteStorage& remote, nlohmann::ordered_json& json) {
  if (store_ == nullptr) {
    return std::string();
  }
  ASSIGN_OR_RETURN(RegistryPushReport report, PushRegistry(*store_, remote, Scratch()));
  json = {{"experiments_pushed", report.experiments_uploaded},
          {"experiments_already_present", report.experiments_present},
          {"versions_pushed", report.versions_uploaded},
          {"alias_files_written", report.alias_files_written}};
  return fmt::format("Registry: {} pushed, {} already on the remote{}{}",
                     Count(report.experiments_uploaded, "experiment", "experiments"),
                     report.experiments_present,
                     report.versions_uploaded == 0
                         ? ""
                         : ", " + Count(report.versions_uploaded, "hand-registered version",
                                        "hand-registered versions"),
                     report.alias_files_written == 0
                         ? ""
                         : ", aliases of " + Count(report.alias_files_written, "model", "models"));
}

Result<std::string> ProjectRegistrySync::Import(RemoteStorage& remote,
                                                nlohmann::ordered_json& json) {
  if (store_ == nullptr) {
    ASSIGN_OR_RETURN(std::vector<RemoteObject> records, remote.List(kRemoteRegistryPrefix));
    if (records.empty()) {
      return std::string();
    }
    ASSIGN_OR_RETURN(store_, OpenProjectRegistry(project_, config_, "", LostRegistry::kCreate));
  }
  ASSIGN_OR_RETURN(RegistryImportReport report, ImportRegistry(remote, *store_, Scratch(), {}));
  json = {{"experiments_imported", report.experiments_imported},
          {"experiments_known", report.experiments_known},
          {"versions_imported", report.versions_imported}};
  if (!report.changed()) {
    return std::string();
  }
  return fmt::format("Registry: {} and {} imported from the remote",
                     Count(report.experiments_imported, "experiment", "experiments"),
                     Count(report.versions_imported, "version", "versions"));
}

}  // namespace conveyor::cli
