// The PostgreSQL implementation of RegistryStore (libpq): one database
// shared by a team, its CI runners and several server replicas. Every write
// is one transaction; per-model version numbers and experiment tags are
// allocated under row locks, so concurrent writers never collide.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "registry/registry_store.h"

namespace conveyor {

// `url` is a libpq connection URI (postgresql://user:pass@host:port/db).
// Connects, creates the schema or migrates it forward. kUnavailable when the
// server cannot be reached; the message never contains the password.
Result<std::unique_ptr<RegistryStore>> OpenPostgresStore(std::string_view url);

}  // namespace conveyor
