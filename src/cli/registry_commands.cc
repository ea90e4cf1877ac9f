#include "cli/registry_commands.h"

#include <CLI/CLI.hpp>

#include "experiments/registry_location.h"

namespace conveyor::cli {

Result<std::unique_ptr<OpenedRegistry>> OpenRegistry(const GlobalOptions& global,
                                                     const std::string& flag) {
  ASSIGN_OR_RETURN(Project project, Project::Discover(global.cwd));
  ASSIGN_OR_RETURN(ConveyorConfig config, LoadConveyorConfig(project.root()));
  ASSIGN_OR_RETURN(std::unique_ptr<RegistryStore> store,
                   OpenProjectRegistry(project, config, flag));
  return std::make_unique<OpenedRegistry>(
      OpenedRegistry{std::move(project), std::move(config), std::move(store)});
}

CLI::Option* AddRegistryFlag(CLI::App& app, std::string& url) {
  return app.add_option("--registry", url,
                        "Metadata store URL (sqlite:PATH or postgresql://...); default: "
                        "$CONVEYOR_REGISTRY, conveyor.yaml's registry, or .conveyor/registry.db");
}

Result<ExperimentRecord> FindOneExperiment(RegistryStore& store, const std::string& ref) {
  ASSIGN_OR_RETURN(std::vector<ExperimentRecord> found, store.FindExperiments(ref));
  if (found.empty()) {
    return Error(Code::kNotFound, "no experiment '{}' (see 'conveyor exp show')", ref);
  }
  if (found.size() > 1) {
    std::string tags;
    for (const ExperimentRecord& record : found)
      tags += (tags.empty() ? "" : ", ") + record.tag;
    return Error(Code::kInvalid, "'{}' matches {} experiments ({}); name one by its tag", ref,
                 found.size(), tags);
  }
  return std::move(found.front());
}

}  // namespace conveyor::cli
