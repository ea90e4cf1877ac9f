// Which metadata store a project uses, first match wins:
//   1. the command's --registry flag;
//   2. the CONVEYOR_REGISTRY environment variable;
//   3. `registry:` in conveyor.yaml;
//   4. the embedded default, sqlite:<project>/.conveyor/registry.db.
// A relative SQLite path is taken from the project root. The default's
// directory gets a .gitignore so the database never lands in a commit.
//
// Once the default database exists, .conveyor/registry.created marks that
// this checkout has one. From then on a missing registry.db is an error
// that says how to get it back, not a fresh empty registry that would show
// no experiments and let the history be forgotten. Like the database, the
// marker is never committed, so a new clone starts its registry as before.
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

inline constexpr const char* kRegistryCreatedMarker = "registry.created";

// The URL to open; `env` is the value of CONVEYOR_REGISTRY (empty if unset).
std::string ResolveRegistryUrl(const Project& project, const ConveyorConfig& config,
                               std::string_view flag, std::string_view env);

// Whether `url` is the default database and it is missing although this
// checkout had one (the marker above is there).
bool DefaultRegistryLost(const Project& project, std::string_view url);

// What OpenProjectRegistry does about a lost default database.
enum class LostRegistry {
  kRefuse,  // an error naming the file and the ways to recover
  kCreate,  // a new empty one: `pull`, which fills it from the remote
};

// Resolves (reading the environment) and opens the store.
Result<std::unique_ptr<RegistryStore>> OpenProjectRegistry(
    const Project& project, const ConveyorConfig& config, std::string_view flag,
    LostRegistry lost = LostRegistry::kRefuse);

// What OpenExistingProjectRegistry does when a SQLite registry named by
// --registry, CONVEYOR_REGISTRY or conveyor.yaml is not there.
enum class NamedRegistry {
  kMayBeAbsent,  // no registry yet: push, whose first run makes none
  kMustExist,    // an error naming it and where it was named: gc, which
                 // must not take a mistyped path for "nothing registered"
};

// OpenProjectRegistry for a command that only reads what is registered and
// must not create a registry: null when the project never made one (the
// default database is not there, lost or not, with kCreate). PostgreSQL
// always counts as existing. With kRefuse a lost default database is the
// same error as above.
Result<std::unique_ptr<RegistryStore>> OpenExistingProjectRegistry(
    const Project& project, const ConveyorConfig& config, std::string_view flag, LostRegistry lost,
    NamedRegistry named = NamedRegistry::kMayBeAbsent);

}  // namespace conveyor
