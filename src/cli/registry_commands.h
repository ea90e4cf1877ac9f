// Shared set-up for commands that read or write the metadata store.
#pragma once

#include <memory>
#include <string>

#include "cli/command.h"
#include "pipeline/conveyor_config.h"
#include "pipeline/project.h"
#include "registry/registry_store.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace conveyor::cli {

// The project around the current directory, its conveyor.yaml and its store.
struct OpenedRegistry {
  Project project;
  ConveyorConfig config;
  std::unique_ptr<RegistryStore> store;
};

// `flag` is the --registry value (empty for the default; registry_location.h).
Result<std::unique_ptr<OpenedRegistry>> OpenRegistry(const GlobalOptions& global,
                                                     const std::string& flag);

// Declares --registry on `app`, bound to `url`.
CLI::Option* AddRegistryFlag(CLI::App& app, std::string& url);

// An experiment by tag or commit prefix: exactly one must match.
Result<ExperimentRecord> FindOneExperiment(RegistryStore& store, const std::string& ref);

}  // namespace conveyor::cli
