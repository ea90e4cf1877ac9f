// GET /get_experiment_metas: the paper's `ExperimentMeta` list, read from
// the registry. Each element:
//   {"tag", "commit", "branch", "created_at", "status", "params", "metrics",
//    "models": [{"name", "version", "aliases"}]}
// plus the rest of the experiment record (registry_json.h).
//
// Query parameters: `limit` (1..1000, default 100), `offset` (>= 0, default
// 0), `order` ("newest" — the default — or "oldest").
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "registry/registry_store.h"

namespace conveyor::serving {

struct MetasQuery {
  int64_t limit = 100;
  int64_t offset = 0;
  bool oldest_first = false;
};

// kInvalid naming the parameter and what it accepts.
Result<MetasQuery> ParseMetasQuery(const std::map<std::string, std::string>& query);

// The page of experiments `query` selects, each with the model versions it
// produced.
Result<nlohmann::ordered_json> ExperimentMetas(RegistryStore& store, const MetasQuery& query);

}  // namespace conveyor::serving
