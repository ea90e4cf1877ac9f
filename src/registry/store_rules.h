// Rules both RegistryStore implementations apply the same way, kept in one
// place so SQLite and PostgreSQL cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "registry/registry_store.h"

namespace conveyor {

// Milliseconds since the Unix epoch, now (the stores' timestamps).
int64_t NowMs();

// Whether `ref` can be a commit prefix: 4 to 40 lower-case hex digits.
bool IsCommitPrefix(std::string_view ref);

// The tag AddExperiment stores for `record`, given `taken`: the (tag, id)
// rows whose tag equals record.tag or starts with "<record.tag>.". A free
// tag is kept; a taken one gets the first free ".2", ".3", …; a taken
// explicit name is kAlreadyExists (`where` names the store).
Result<std::string> PickTag(const ExperimentRecord& record,
                            const std::vector<std::pair<std::string, int64_t>>& taken,
                            std::string_view where);

// SetAliasIf's check: OK when `expected` is unset or equals `current` (the
// version `alias` points at now, 0 when unset); kConflict naming both
// otherwise.
Status CheckAliasUnmoved(std::string_view where, std::string_view model, std::string_view alias,
                         int current, std::optional<int> expected);

}  // namespace conveyor
