// Which metadata store a project uses, first match wins:
//   1. the command's --registry flag;
//   2. the CONVEYOR_REGISTRY environment variable;
//   3. `registry:` in conveyor.yaml;
//   4. the embedded default, sqlite:<project>/.conveyor/registry.db.
// A relative SQLite path is taken from the project root. The default's
// directory gets a .gitignore so the database never lands in a commit.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "pipeline/conveyor_config.h"
#include "pipeline/project.h"
#include "registry/registry_store.h"

namespace conveyor {

inline constexpr const char* kRegistryEnv = "CONVEYOR_REGISTRY";

// The URL to open; `env` is the value of CONVEYOR_REGISTRY (empty if unset).
std::string ResolveRegistryUrl(const Project& project, const ConveyorConfig& config,
                               std::string_view flag, std::string_view env);

// Resolves (reading the environment) and opens the store.
Result<std::unique_ptr<RegistryStore>> OpenProjectRegistry(const Project& project,
                                                           const ConveyorConfig& config,
                                                           std::string_view flag);

}  // namespace conveyor
