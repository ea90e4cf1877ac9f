#include "report/params_diff.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "pipeline/dag.h"
#include "pipeline/params_file.h"
#include "report/metrics_table.h"

namespace conveyor {

namespace {

using Json = nlohmann::ordered_json;

// Params file -> the keys used, or nullopt for the whole file.
using KeysByFile = std::map<std::string, std::optional<std::vector<std::string>>>;

void Use(KeysByFile* files, const std::string& path, const std::vector<std::string>& keys,
         bool whole) {
  auto [it, inserted] = files->try_emplace(path, std::vector<std::string>());
  if (whole || keys.empty()) {
    it->second.reset();  // a whole-file entry overrides listed keys, as in DVC
    return;
  }
  if (!it->second)
    return;
  for (const std::string& key : keys) {
    if (std::find(it->second->begin(), it->second->end(), key) == it->second->end())
      it->second->push_back(key);
  }
}

// The leaves of `tree` under `keys` (all of them for nullopt), flattened.
Json SelectLeaves(const Json& tree, const std::optional<std::vector<std::string>>& keys) {
  if (!keys)
    return FlattenParams(tree);
  Json out = Json::object();
  for (const std::string& key : *keys) {
    auto value = LookupParam(tree, key, "");
    if (!value.ok())
      continue;  // DVC shows nothing for a key the file lacks
    if (value->is_object() && !value->empty()) {
      const Json flat = FlattenParams(*value);  // kept alive for the loop
      for (const auto& [sub, leaf] : flat.items())
        out[std::string(key).append(".").append(sub)] = leaf;
    } else {
      out[key] = *value;
    }
  }
  return out;
}

}  // namespace

std::vector<ParamsValues> CollectParams(const Workspace& workspace, const FileReader& read) {
  KeysByFile used;
  for (const StageNode& node : workspace.dag().nodes()) {
    for (const ParamSpec& spec : node.stage.params) {
      auto path = JoinProjectPath(node.wdir, spec.file);
      if (path.ok())
        Use(&used, *path, spec.keys, spec.whole_file);
    }
  }
  for (const PipelineFile& pipeline : workspace.pipelines()) {
    for (const std::string& file : pipeline.params) {
      auto path = JoinProjectPath(ParentDir(pipeline.path), file);
      if (path.ok())
        Use(&used, *path, {}, true);
    }
  }
  std::vector<ParamsValues> files;
  bool default_used = used.count("params.yaml") != 0;
  for (const auto& [path, keys] : used) {
    ParamsValues file;
    file.path = path;
    auto tree = ReadValuesFile(read, path);
    if (tree.ok())
      file.values = SelectLeaves(*tree, keys);
    else
      file.error = tree.status().message();
    files.push_back(std::move(file));
  }
  if (!default_used) {
    // params.yaml counts whole even when no stage names it, if it exists.
    auto tree = ReadValuesFile(read, "params.yaml");
    if (tree.status().code() != Code::kNotFound) {
      ParamsValues file;
      file.path = "params.yaml";
      if (tree.ok())
        file.values = FlattenParams(*tree);
      else
        file.error = tree.status().message();
      auto at = std::lower_bound(
          files.begin(), files.end(), file.path,
          [](const ParamsValues& a, const std::string& path) { return a.path < path; });
      files.insert(at, std::move(file));
    }
  }
  return files;
}

ParamsDiff DiffParams(std::string old_revision, const std::vector<ParamsValues>& old_files,
                      std::string new_revision, const std::vector<ParamsValues>& new_files,
                      bool all) {
  return DiffRevisions(std::move(old_revision), old_files, std::move(new_revision), new_files, all);
}

std::string FormatParamsDiff(const ParamsDiff& diff, bool markdown, bool path_column) {
  DiffTableFormat table;
  table.title = "Param";
  table.old_revision = diff.old_revision;
  table.new_revision = diff.new_revision;
  table.change_column = false;
  table.path_column = path_column;
  table.markdown = markdown;
  return FormatDiffTable(diff.changes, table);
}

Json ParamsDiffJson(const ParamsDiff& diff) { return DiffJson(diff.changes, false); }

}  // namespace conveyor
