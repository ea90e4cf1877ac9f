#include "serving/experiment_metas.h"

#include <charconv>

#include "registry/registry_json.h"

namespace conveyor::serving {

namespace {

using Json = nlohmann::ordered_json;

Result<int64_t> IntParam(const std::map<std::string, std::string>& query, const char* name,
                         int64_t fallback, int64_t low, int64_t high) {
  auto found = query.find(name);
  if (found == query.end())
    return fallback;
  const std::string& text = found->second;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return Error(Code::kInvalid,
                 "query parameter '{}': expected an integer from {} to {}, got '{}'", name, low,
                 high, text);
  }
  return value;
}

}  // namespace

Result<MetasQuery> ParseMetasQuery(const std::map<std::string, std::string>& query) {
  MetasQuery parsed;
  ASSIGN_OR_RETURN(parsed.limit, IntParam(query, "limit", 100, 1, 1000));
  ASSIGN_OR_RETURN(parsed.offset, IntParam(query, "offset", 0, 0, INT64_MAX));
  if (auto order = query.find("order"); order != query.end()) {
    if (order->second != "newest" && order->second != "oldest") {
      return Error(Code::kInvalid,
                   "query parameter 'order': expected 'newest' or 'oldest', got '{}'",
                   order->second);
    }
    parsed.oldest_first = order->second == "oldest";
  }
  return parsed;
}

Result<Json> ExperimentMetas(RegistryStore& store, const MetasQuery& query) {
  ExperimentQuery page;
  page.limit = query.limit;
  page.offset = query.offset;
  page.oldest_first = query.oldest_first;
  ASSIGN_OR_RETURN(std::vector<ExperimentRecord> experiments, store.ListExperiments(page));
  // Model versions by the experiment that produced them.
  std::map<int64_t, Json> produced;
  ASSIGN_OR_RETURN(std::vector<std::string> models, store.ListModels());
  for (const std::string& model : models) {
    ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, store.ListModelVersions(model));
    for (const ModelVersion& version : versions) {
      if (!version.experiment_id)
        continue;
      Json item;
      item["name"] = version.model;
      item["version"] = version.version;
      item["aliases"] = version.aliases;
      Json& list = produced[*version.experiment_id];
      if (list.is_null())
        list = Json::array();
      list.push_back(std::move(item));
    }
  }
  Json metas = Json::array();
  for (const ExperimentRecord& record : experiments) {
    Json meta = ExperimentToJson(record);
    auto found = produced.find(record.id);
    meta["models"] = found == produced.end() ? Json::array() : found->second;
    metas.push_back(std::move(meta));
  }
  return metas;
}

}  // namespace conveyor::serving
