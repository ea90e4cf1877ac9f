#include "pipeline/project_cache.h"

#include <system_error>

namespace conveyor {

namespace fs = std::filesystem;

namespace {

HasherOptions Options(int threads) {
  HasherOptions options;
  options.threads = threads;
  return options;
}

}  // namespace

ProjectHasher::ProjectHasher(IgnoreRules ignore, StatCache* stat_cache, int threads)
    : ignore_(std::move(ignore)), hasher_(stat_cache, &ignore_, Options(threads)) {}

ProjectCache::ProjectCache(const Project& project, std::vector<LinkType> link_types,
                           std::unique_ptr<StatCache> stat_cache)
    : project_(project),
      store_(project.cache_dir()),
      link_types_(std::move(link_types)),
      stat_cache_(std::move(stat_cache)) {}

Result<std::unique_ptr<ProjectCache>> ProjectCache::Open(const Project& project) {
  std::vector<LinkType> link_types = DefaultLinkTypes();
  if (std::optional<std::string> configured = project.config().Get("cache", "type")) {
    auto parsed = ParseLinkTypes(*configured);
    if (!parsed.ok())
      return parsed.status().WithContext(".dvc/config: cache.type");
    link_types = std::move(parsed).value();
  }
  // The stat cache only saves time: on a read-only or full disk the project
  // still works without it, hashing everything.
  std::unique_ptr<StatCache> stat_cache;
  Status stat_cache_status;
  std::error_code ec;
  fs::path dir = project.tmp_dir() / "conveyor";
  fs::create_directories(dir, ec);
  if (ec) {
    stat_cache_status = Error(Code::kIo, "cannot create {}: {}", dir.string(), ec.message());
  } else {
    auto opened = StatCache::Open(dir / "stat-cache.db");
    if (opened.ok()) {
      stat_cache = std::move(opened).value();
    } else {
      stat_cache_status = opened.status();
    }
  }
  auto cache = std::unique_ptr<ProjectCache>(
      new ProjectCache(project, std::move(link_types), std::move(stat_cache)));
  cache->stat_cache_status_ = std::move(stat_cache_status);
  return cache;
}

Result<std::unique_ptr<ProjectHasher>> ProjectCache::NewHasher(int threads) {
  ASSIGN_OR_RETURN(IgnoreRules ignore, IgnoreRules::Load(project_.root()));
  return std::make_unique<ProjectHasher>(std::move(ignore), stat_cache_.get(), threads);
}

}  // namespace conveyor
