// DVC 3's local cache: content-addressed objects under `.dvc/cache`.
//
// Layout (DVC 3, dvc/cachemgr.py FILES_DIR = "files", hash name "md5"):
//   <cache>/files/md5/<first 2 hex digits>/<other 30 hex digits>[.dir]
// e.g. files/md5/90/0150983cd24fb0d6963f7d28e17f72. A directory's `.dir`
// object keeps the ".dir" suffix in its file name. DVC 2's layout,
// <cache>/<2 hex>/<30 hex>[.dir], is read (Find, Contains, Checkout,
// LoadTree) but never written.
//
// Objects are read-only (0444) once complete, like DVC's (dvc_data
// hashfile/db/local.py CACHE_MODE). Save writes to a temporary name in the
// object's directory and renames, so a partial object never carries a final
// name. An existing 0444 object of the right size is trusted; any other
// existing object is re-hashed and replaced if wrong.
//
// Thread safety: an ObjectStore holds only its (constant) cache path; calls
// on different workspace paths may run concurrently, and concurrent saves of
// the same object are safe (each renames a complete file).
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

#include "cache/dvcignore.h"
#include "cache/hash_info.h"
#include "cache/link_type.h"
#include "common/status.h"

namespace conveyor {

class ObjectStore {
 public:
  // `cache_dir` is the cache root, normally "<repo>/.dvc/cache"; it is
  // created on the first Save.
  explicit ObjectStore(std::filesystem::path cache_dir);

  const std::filesystem::path& cache_dir() const { return cache_dir_; }

  // Where DVC 3 keeps `md5` ("ab…" or "ab….dir").
  std::filesystem::path ObjectPath(std::string_view md5) const;
  // Where DVC 2 kept it.
  std::filesystem::path LegacyObjectPath(std::string_view md5) const;
  // The DVC 3 path if that object exists, else the DVC 2 one, else nullopt.
  std::optional<std::filesystem::path> Find(std::string_view md5) const;

  // A file: its object exists. A directory: its `.dir` object exists and
  // parses, and every file it lists exists.
  bool Contains(const HashInfo& hash) const;

  // Copies the file or directory at `workspace_path`, whose hash is `hash`,
  // into the cache. For a directory `tree` must be the Tree that Hasher
  // returned with `hash` (entries and json); its `.dir` object is written
  // last. Content is re-hashed while being copied: if it no longer matches
  // (the file changed since it was hashed), nothing is stored (kFailed).
  Status Save(const std::filesystem::path& workspace_path, const HashInfo& hash, const Tree* tree);

  // Materialises `hash` at `workspace_path`, using for each file the first of
  // `link_types` that works (a type that fails once is not tried again for
  // the rest of the directory). A directory's files are checked out several
  // at a time, each written under a temporary name and renamed into place,
  // so an interrupted checkout never leaves a partial file under its final
  // name; on the first failure no new file is started. An existing file there is replaced; for a
  // directory, files not in the tree are removed (except those `ignore`
  // ignores, when given; empty directories left behind are removed too).
  Status Checkout(const std::filesystem::path& workspace_path, const HashInfo& hash,
                  std::span<const LinkType> link_types, IgnoreRules* ignore = nullptr);

  // Replaces every hardlink or symlink at or below `path` with a private,
  // writable copy of its content, and makes every file there writable by its
  // owner (for `persist: true` outputs before their stage runs).
  Status Unprotect(const std::filesystem::path& path) const;

  // Reads the `.dir` object `md5` ("….dir") back; kNotFound if absent,
  // kInvalid if corrupt (including content that does not hash to `md5`).
  Result<Tree> LoadTree(std::string_view md5) const;

 private:
  Status SaveFile(const std::filesystem::path& source, std::string_view md5, uint64_t size) const;
  // `first_type`: the first of `link_types` still worth trying (shared by the
  // threads checking out one directory).
  Status CheckoutFile(const std::filesystem::path& object, const std::filesystem::path& target,
                      std::span<const LinkType> link_types, std::atomic<size_t>& first_type) const;

  // Constant after construction.
  std::filesystem::path cache_dir_;
};

}  // namespace conveyor
