#include "registry/model_ref.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/nearest.h"

namespace conveyor {

std::string ModelRef::ToString() const {
  switch (kind) {
    case Kind::kLatest:
      return model;
    case Kind::kVersion:
      return fmt::format("{}@{}", model, version);
    case Kind::kName:
      return fmt::format("{}@{}", model, selector);
  }
  return model;
}

Result<ModelRef> ParseModelRef(std::string_view text) {
  std::string context = fmt::format("model reference '{}'", text);
  size_t at = text.find('@');
  ModelRef ref;
  ref.model = std::string(text.substr(0, at));
  RETURN_IF_ERROR(ValidateRegistryName("model name", ref.model).WithContext(context));
  if (at == std::string_view::npos)
    return ref;
  std::string_view word = text.substr(at + 1);
  if (word.empty()) {
    return Error(Code::kInvalid,
                 "{}: nothing after '@' (expected a version number, 'latest', an alias or an "
                 "experiment tag)",
                 context);
  }
  if (word == "latest")
    return ref;
  if (std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (word.size() > 9)
      return Error(Code::kInvalid, "{}: version number out of range", context);
    int version = std::stoi(std::string(word));
    if (version == 0)
      return Error(Code::kInvalid, "{}: versions are numbered from 1", context);
    ref.kind = ModelRef::Kind::kVersion;
    ref.version = version;
    ref.selector = std::string(word);  // also a tag when no such version exists
    return ref;
  }
  RETURN_IF_ERROR(ValidateExperimentTag(word).WithContext(context));
  ref.kind = ModelRef::Kind::kName;
  ref.selector = std::string(word);
  return ref;
}

Result<ModelVersion> ResolveModelRef(RegistryStore& store, const ModelRef& ref) {
  std::string context = fmt::format("model reference '{}'", ref.ToString());
  Result<std::vector<ModelVersion>> listed = store.ListModelVersions(ref.model);
  if (!listed.ok()) {
    if (listed.status().code() != Code::kNotFound)
      return listed.status();
    ASSIGN_OR_RETURN(std::vector<std::string> models, store.ListModels());
    return Error(Code::kNotFound, "{}: no model '{}'{}", context, ref.model,
                 DidYouMean(ref.model, models));
  }
  const std::vector<ModelVersion>& versions = *listed;  // newest first, never empty
  switch (ref.kind) {
    case ModelRef::Kind::kLatest:
      return versions.front();
    case ModelRef::Kind::kVersion:
      for (const ModelVersion& version : versions) {
        if (version.version == ref.version)
          return version;
      }
      {
        // A short commit SHA can be all digits: with no such version, the
        // word is tried as an experiment tag or commit.
        Status no_version =
            Error(Code::kNotFound, "{}: model '{}' has no version {} (latest is {})", context,
                  ref.model, ref.version, versions.front().version);
        ASSIGN_OR_RETURN(std::vector<ExperimentRecord> tagged, store.FindExperiments(ref.selector));
        if (tagged.empty())
          return no_version;
      }
      break;
    case ModelRef::Kind::kName:
      break;
  }

  std::vector<std::string> aliases;
  for (const ModelVersion& version : versions) {
    if (std::find(version.aliases.begin(), version.aliases.end(), ref.selector) !=
        version.aliases.end()) {
      return version;
    }
    aliases.insert(aliases.end(), version.aliases.begin(), version.aliases.end());
  }
  ASSIGN_OR_RETURN(std::vector<ExperimentRecord> experiments, store.FindExperiments(ref.selector));
  if (experiments.empty()) {
    std::sort(aliases.begin(), aliases.end());
    return Error(Code::kNotFound,
                 "{}: '{}' is neither an alias of model '{}' nor an experiment tag or commit{}",
                 context, ref.selector, ref.model, DidYouMean(ref.selector, aliases));
  }
  if (experiments.size() > 1) {
    std::vector<std::string> tags;
    tags.reserve(experiments.size());
    for (const ExperimentRecord& experiment : experiments)
      tags.push_back(experiment.tag);
    std::sort(tags.begin(), tags.end());
    return Error(Code::kInvalid, "{} is ambiguous: '{}' matches experiments {}", context,
                 ref.selector, fmt::join(tags, ", "));
  }
  const ExperimentRecord& experiment = experiments.front();
  for (const ModelVersion& version : versions) {
    if (version.experiment_id == experiment.id)
      return version;
  }
  // A run that left the model as it was (only evaluation reran) registers no
  // version; the model it used is the version holding the same content.
  for (const LineageEntry& entry : experiment.lineage) {
    if (entry.role != "out")
      continue;
    for (const ModelVersion& version : versions) {
      if (version.path == entry.path && version.md5 == entry.md5)
        return version;
    }
  }
  return Error(Code::kNotFound, "{}: experiment '{}' produced no version of model '{}'", context,
               experiment.tag, ref.model);
}

Result<ModelVersion> ResolveModelRef(RegistryStore& store, std::string_view text) {
  ASSIGN_OR_RETURN(ModelRef ref, ParseModelRef(text));
  return ResolveModelRef(store, ref);
}

Result<int> AliasVersion(RegistryStore& store, std::string_view model, std::string_view alias) {
  ASSIGN_OR_RETURN(auto aliases, store.Aliases(model));
  auto it = aliases.find(std::string(alias));
  if (it == aliases.end())
    return Error(Code::kNotFound, "alias '{}@{}' is not set", model, alias);
  return it->second;
}

}  // namespace conveyor
