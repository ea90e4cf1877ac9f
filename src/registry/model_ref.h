// Model references, as users type them: `NAME` (the latest version),
// `NAME@latest`, `NAME@3` (a version number), `NAME@production` (an alias)
// or `NAME@a1b2c3d` (the version of NAME that an experiment produced, by
// tag or commit prefix).
//
// Resolution order for `NAME@WORD` when WORD is neither a number nor
// "latest": an alias of NAME first, then an experiment whose tag is WORD,
// then experiments whose commit starts with WORD (RegistryStore::
// FindExperiments). An experiment that registered no version of NAME (its
// run left the model unchanged) names the version whose path and hash its
// lineage records as an output. Aliases cannot be all digits or "latest"
// (ValidateRegistryName), so those two forms never name an alias. A number
// is a version first; when NAME has no such version it is tried as an
// experiment tag or commit, since a short commit SHA can be all digits.
//
// Thread safety: ParseModelRef is a pure function; ResolveModelRef uses the
// store it is given, under the store's rules (one store per thread).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "registry/registry_store.h"

namespace conveyor {

struct ModelRef {
  enum class Kind {
    kLatest,   // NAME or NAME@latest
    kVersion,  // NAME@<number>
    kName,     // NAME@<alias or experiment tag or commit prefix>
  };

  std::string model;
  Kind kind = Kind::kLatest;
  int version = 0;       // kVersion: 1, 2, ...
  std::string selector;  // kName, kVersion: the word after '@'

  // The canonical text: "NAME", "NAME@3", "NAME@production".
  std::string ToString() const;
};

// Parses `text`. kInvalid naming the reference for a bad model name, an
// empty or malformed part after '@', or a version number of 0 or out of
// range.
Result<ModelRef> ParseModelRef(std::string_view text);

// The model version `ref` names in `store`. kNotFound for an unknown model
// (with a did-you-mean), version, alias or tag, or an experiment that
// produced no version of the model; kInvalid when a commit prefix matches
// several experiments (their tags listed).
Result<ModelVersion> ResolveModelRef(RegistryStore& store, const ModelRef& ref);

// ParseModelRef, then ResolveModelRef.
Result<ModelVersion> ResolveModelRef(RegistryStore& store, std::string_view text);

// The version `model@alias` points at now. kNotFound ("alias
// 'digits@production' is not set") when it is unset; the store's kNotFound
// for an unknown model.
Result<int> AliasVersion(RegistryStore& store, std::string_view model, std::string_view alias);

}  // namespace conveyor
