#include "serving/model_loader.h"

#include <cerrno>
#include <cstdio>
#include <map>
#include <system_error>
#include <vector>

#include "cache/hasher.h"
#include "common/file_util.h"
#include "ml/classifier.h"
#include "ml/model_spec.h"
#include "registry/model_ref.h"

namespace conveyor::serving {
namespace {

namespace fs = std::filesystem;

// Makes every file under `dir` read-only (directories stay writable by
// their owner, so that the serving directory can be cleaned up).
Status MakeFilesReadOnly(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      fs::permissions(it->path(),
                      fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read,
                      fs::perm_options::replace, ec);
      if (ec) {
        return Error(Code::kIo, "cannot make {} read-only: {}", it->path().string(), ec.message());
      }
    }
  }
  if (ec) {
    return Error(Code::kIo, "cannot list {}: {}", dir.string(), ec.message());
  }
  return OkStatus();
}

// Whether `dir` holds exactly version `md5`: its files hashed as DVC hashes
// a directory, so extra, missing, renamed or changed files all show. When
// `cached` (the version's listing) is given, a changed file is named, with
// the cache object it came from.
Status CheckCopy(const fs::path& dir, std::string_view md5, const Tree* cached,
                 const ObjectStore& objects) {
  Hasher hasher(nullptr, nullptr);
  ASSIGN_OR_RETURN(HashedObject hashed, hasher.Hash(dir, /*want_tree=*/cached != nullptr));
  if (hashed.hash.md5 == md5) {
    return OkStatus();
  }
  if (cached != nullptr && hashed.tree.has_value()) {
    std::map<std::string, std::string> recorded;
    for (const TreeEntry& entry : cached->entries) {
      recorded[entry.relpath] = entry.md5;
    }
    for (const TreeEntry& entry : hashed.tree->entries) {
      auto it = recorded.find(entry.relpath);
      if (it != recorded.end() && it->second != entry.md5) {
        return Error(Code::kInvalid,
                     "{}: the cache object {} is corrupt (its content hashes to {}); delete it, "
                     "then pull or add the model again",
                     entry.relpath, objects.ObjectPath(it->second).string(), entry.md5);
      }
    }
  }
  if (cached != nullptr) {
    // No file differs from the listing (whose own md5 LoadTree checked),
    // yet the whole does: the checkout itself went wrong.
    return Error(Code::kInvalid, "the files checked out from the cache {} hash to {}, not {}",
                 objects.cache_dir().string(), hashed.hash.md5, md5);
  }
  return Error(Code::kInvalid, "{} does not hold version {}: its files hash to {}", dir.string(),
               md5, hashed.hash.md5);
}

// spec_path relative to the model's directory (version.path).
Result<fs::path> SpecInModel(const ModelVersion& version) {
  if (version.spec_path.empty()) {
    return fs::path("model.yaml");
  }
  const fs::path rel =
      fs::path(version.spec_path).lexically_normal().lexically_relative(fs::path(version.path));
  if (rel.empty() || *rel.begin() == "..") {
    return Error(Code::kInvalid, "spec {} is outside the model directory {}", version.spec_path,
                 version.path);
  }
  return rel;
}

}  // namespace

RegistryModelLoader::RegistryModelLoader(RegistryStore& store, ObjectStore objects,
                                         fs::path serving_dir, BatchOptions batch)
    : store_(store),
      serving_dir_(std::move(serving_dir)),
      batch_(batch),
      objects_(std::move(objects)) {}

fs::path RegistryModelLoader::ServingPath(std::string_view md5) const {
  return serving_dir_ / std::string(md5);
}

Status RegistryModelLoader::Materialise(std::string_view md5) {
  const fs::path target = ServingPath(md5);
  std::error_code ec;
  if (fs::is_directory(target, ec)) {
    // Materialised before. Read-only is no guarantee (root, a hardlinked
    // cache object rewritten), so it is used only if it still hashes to
    // the version; else it is checked out again.
    if (CheckCopy(target, md5, nullptr, objects_).ok()) {
      return OkStatus();
    }
    fs::remove_all(target, ec);
    if (ec) {
      return Error(Code::kIo, "cannot remove {}, which no longer holds version {}: {}",
                   target.string(), md5, ec.message());
    }
  }
  Result<Tree> tree = objects_.LoadTree(md5);
  if (!tree.ok()) {
    if (tree.status().code() == Code::kNotFound) {
      return Error(Code::kNotFound, "object {} is not in the cache {}", md5,
                   objects_.cache_dir().string());
    }
    return tree.status();
  }
  fs::create_directories(serving_dir_, ec);
  if (ec) {
    return Error(Code::kIo, "cannot create {}: {}", serving_dir_.string(), ec.message());
  }
  const fs::path tmp = TempPathBeside(target);
  const std::vector<LinkType> links = {LinkType::kReflink, LinkType::kHardlink, LinkType::kCopy};
  Status status = objects_.Checkout(tmp, tree->hash, links);
  if (status.ok()) {
    // The cache trusts its objects; a model is only served as registered.
    status = CheckCopy(tmp, md5, &*tree, objects_);
  }
  if (status.ok()) {
    status = MakeFilesReadOnly(tmp);
  }
  if (status.ok() && ::rename(tmp.c_str(), target.c_str()) != 0) {
    const int error = errno;
    const std::string reason = ErrnoMessage();
    // Another process materialised it first: use theirs, if it holds the
    // version.
    if ((error != ENOTEMPTY && error != EEXIST) || !fs::is_directory(target, ec)) {
      status =
          Error(Code::kIo, "cannot rename {} to {}: {}", tmp.string(), target.string(), reason);
    } else {
      status = CheckCopy(target, md5, nullptr, objects_);
    }
  }
  fs::remove_all(tmp, ec);
  return status;
}

Result<std::unique_ptr<ServedModel>> RegistryModelLoader::Load(std::string_view ref) {
  const std::lock_guard<std::mutex> lock(mu_);
  Result<ModelVersion> resolved = ResolveModelRef(store_, ref);
  if (!resolved.ok()) {
    return resolved.status();
  }
  const ModelVersion& version = *resolved;
  const std::string where = fmt::format("{} ({} v{})", ref, version.model, version.version);
  if (!version.md5.ends_with(".dir")) {
    return Error(Code::kInvalid,
                 "{}: {} is a single file; serving needs a model directory with model.yaml", where,
                 version.path);
  }
  Result<fs::path> spec_rel = SpecInModel(version);
  if (!spec_rel.ok()) {
    return spec_rel.status().WithContext(where);
  }
  const fs::path dir = ServingPath(version.md5);
  RETURN_IF_ERROR(Materialise(version.md5).WithContext(where));
  Result<std::unique_ptr<ServedModel>> model = LoadFrom(dir, version, *spec_rel, ref, where);
  if (!model.ok()) {
    // The copy is the version as registered, and that does not load: keep
    // nothing of it.
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return model;
}

Result<std::unique_ptr<ServedModel>> RegistryModelLoader::LoadFrom(const fs::path& dir,
                                                                   const ModelVersion& version,
                                                                   const fs::path& spec_rel,
                                                                   std::string_view ref,
                                                                   const std::string& where) {
  const fs::path spec_file = dir / spec_rel;
  Result<ml::ModelSpec> spec = ml::ReadModelSpec(spec_file);
  if (!spec.ok()) {
    return spec.status().WithContext(where);
  }
  Result<std::unique_ptr<ml::Classifier>> classifier =
      ml::LoadClassifier(*spec, spec_file.parent_path());
  if (!classifier.ok()) {
    return Error(Code::kInvalid, "{}: {}", where, classifier.status().message());
  }
  if (batch_.max_batch > 1) {
    ASSIGN_OR_RETURN(*classifier, BatchingClassifier::Create(std::move(*classifier), batch_));
  }
  ModelIdentity identity{.name = version.model,
                         .version = version.version,
                         .experiment_tag = version.experiment_tag,
                         .md5 = version.md5,
                         .reference = std::string(ref)};
  Result<std::unique_ptr<ServedModel>> model =
      ServedModel::Create(std::move(identity), std::move(*spec), std::move(*classifier));
  if (!model.ok()) {
    return model.status().WithContext(ref);
  }
  return std::move(*model);
}

}  // namespace conveyor::serving
