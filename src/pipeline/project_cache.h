// The cache machinery of one project, opened once per command: the object
// store, the stat cache, the configured link types, and hashers that apply
// the project's .dvcignore.
//
// Thread safety: the ProjectCache may be shared by threads; each thread takes
// its own hasher from NewHasher (a Hasher is single-threaded).
#pragma once

#include <memory>
#include <vector>

#include "cache/dvcignore.h"
#include "cache/hasher.h"
#include "cache/link_type.h"
#include "cache/object_store.h"
#include "cache/stat_cache.h"
#include "common/status.h"
#include "pipeline/project.h"

namespace conveyor {

// A Hasher with the ignore rules it reads. Not movable: the hasher points at
// the rules.
class ProjectHasher {
 public:
  ProjectHasher(IgnoreRules ignore, StatCache* stat_cache, int threads);
  ProjectHasher(const ProjectHasher&) = delete;
  ProjectHasher& operator=(const ProjectHasher&) = delete;

  Hasher& get() { return hasher_; }
  IgnoreRules& ignore() { return ignore_; }

 private:
  IgnoreRules ignore_;
  Hasher hasher_;
};

class ProjectCache {
 public:
  // Opens (creating if needed) .dvc/tmp/conveyor/stat-cache.db — going on
  // without it if that fails — and reads cache.type. `project` must outlive
  // the ProjectCache.
  static Result<std::unique_ptr<ProjectCache>> Open(const Project& project);

  const Project& project() const { return project_; }
  ObjectStore& store() { return store_; }
  const std::vector<LinkType>& link_types() const { return link_types_; }
  // Null when the stat cache could not be opened (read-only or full disk);
  // stat_cache_status() then says why.
  StatCache* stat_cache() { return stat_cache_.get(); }
  const Status& stat_cache_status() const { return stat_cache_status_; }

  // A hasher for the calling thread; `threads` hashing workers inside it
  // (0: one per core).
  Result<std::unique_ptr<ProjectHasher>> NewHasher(int threads = 0);

 private:
  ProjectCache(const Project& project, std::vector<LinkType> link_types,
               std::unique_ptr<StatCache> stat_cache);

  // Constant after construction.
  const Project& project_;
  ObjectStore store_;  // thread-safe
  std::vector<LinkType> link_types_;
  std::unique_ptr<StatCache> stat_cache_;  // thread-safe; may be null
  Status stat_cache_status_;
};

}  // namespace conveyor
