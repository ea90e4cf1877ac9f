// ModelLoader: turns a model reference ("digits", "digits@production",
// "digits@3", "digits@a1b2c3d") into a loaded ServedModel. The ModelManager
// (model_manager.h) calls it off the request path; tests give the manager a
// fake.
//
// RegistryModelLoader, the real one:
//   1. resolves the reference in the registry (registry/model_ref.h);
//   2. materialises the version's directory object from the project's cache
//      into a private serving directory, `<serving_dir>/<md5>/`: checked out
//      under a temporary name (reflink, hardlink or copy), hashed to check
//      that it is the version as registered (a corrupt cache object is
//      refused, naming the file and the object), made read-only, then
//      renamed into place; an existing one is reused only if it still
//      hashes to the version, else it is checked out again;
//   3. reads the spec (the version's spec_path, relative to its path) and
//      loads the classifier (ml::LoadClassifier).
// Errors: an unknown model, version, alias or tag → kNotFound (from the
// registry, with its did-you-mean); the object missing from the cache →
// kNotFound naming the md5; a model that is a single file, or a spec outside
// the model directory → kInvalid; a corrupt cache object, or a model.yaml or
// model file that does not load → kInvalid naming the file. Every message
// starts with the reference.
//
// Thread safety: Load may be called from any thread; RegistryModelLoader
// serialises its calls (the registry store is used by one thread at a time).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>

#include "cache/object_store.h"
#include "common/status.h"
#include "registry/registry_store.h"
#include "serving/batching_classifier.h"
#include "serving/served_model.h"

namespace conveyor::serving {

class ModelLoader {
 public:
  virtual ~ModelLoader() = default;
  virtual Result<std::unique_ptr<ServedModel>> Load(std::string_view ref) = 0;
};

class RegistryModelLoader : public ModelLoader {
 public:
  // `store` must outlive the loader and not be used elsewhere while Load
  // runs. `objects` is the project's cache; `serving_dir` (normally
  // "<project>/.conveyor/serving") is created on first use.
  // With `batch.max_batch` > 1 every loaded model predicts through a
  // BatchingClassifier (batching_classifier.h).
  RegistryModelLoader(RegistryStore& store, ObjectStore objects, std::filesystem::path serving_dir,
                      BatchOptions batch = {});

  Result<std::unique_ptr<ServedModel>> Load(std::string_view ref) override;

  // Where version `md5` is (or would be) materialised.
  std::filesystem::path ServingPath(std::string_view md5) const;

 private:
  // Checks the object out into ServingPath(md5) unless it is there already.
  Status Materialise(std::string_view md5);
  // Reads the spec and loads the model of `version` from `dir`, its
  // materialised copy; errors start with `where`.
  Result<std::unique_ptr<ServedModel>> LoadFrom(const std::filesystem::path& dir,
                                                const ModelVersion& version,
                                                const std::filesystem::path& spec_rel,
                                                std::string_view ref, const std::string& where);

  // Constant after construction.
  RegistryStore& store_;
  std::filesystem::path serving_dir_;
  BatchOptions batch_;

  std::mutex mu_;  // serialises Load; guards objects_
  ObjectStore objects_;
};

}  // namespace conveyor::serving
