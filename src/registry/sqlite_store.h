// The SQLite implementation of RegistryStore: the embedded default, one file
// in the project (.conveyor/registry.db). WAL mode and a busy timeout let
// several processes read and write at once; writes take the database lock
// up front (BEGIN IMMEDIATE), so version numbers and tags never collide.
#pragma once

#include <filesystem>
#include <memory>

#include "common/status.h"
#include "registry/registry_store.h"

namespace conveyor {

struct SqliteStoreOptions {
  int busy_timeout_ms = 10000;  // wait this long for another writer, then kUnavailable
};

// Opens or creates the database at `path` (its directory is created) and
// migrates it to the current schema.
Result<std::unique_ptr<RegistryStore>> OpenSqliteStore(const std::filesystem::path& path,
                                                       const SqliteStoreOptions& options = {});

}  // namespace conveyor
