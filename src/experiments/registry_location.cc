#include "experiments/registry_location.h"

#include <cstdlib>

#include "common/file_util.h"

namespace conveyor {

namespace {

// A SQLite location made absolute against the project root. A URL of
// another scheme stays as it is, for OpenRegistryStore to refuse by name
// (as a path it would reach SQLite's error, password and all).
std::string AnchorSqlite(const Project& project, std::string_view url) {
  if (SqlitePathOf(url) == url && url.find("://") != std::string_view::npos)
    return std::string(url);
  std::filesystem::path fs_path(SqlitePathOf(url));
  if (fs_path.is_relative())
    fs_path = project.root() / fs_path;
  return "sqlite:" + fs_path.lexically_normal().string();
}

std::filesystem::path StateDir(const Project& project) { return project.root() / ".conveyor"; }

bool IsDefaultRegistry(const Project& project, std::string_view url) {
  return url == "sqlite:" + (StateDir(project) / "registry.db").string();
}

}  // namespace

std::string ResolveRegistryUrl(const Project& project, const ConveyorConfig& config,
                               std::string_view flag, std::string_view env) {
  std::string_view chosen = !flag.empty()  ? flag
                            : !env.empty() ? env
                                           : std::string_view(config.registry);
  if (chosen.empty())
    return "sqlite:" + (project.root() / ".conveyor" / "registry.db").string();
  return IsPostgresUrl(chosen) ? std::string(chosen) : AnchorSqlite(project, chosen);
}

bool DefaultRegistryLost(const Project& project, std::string_view url) {
  return IsDefaultRegistry(project, url) && !PathExists(StateDir(project) / "registry.db") &&
         PathExists(StateDir(project) / kRegistryCreatedMarker);
}

namespace {

// OpenProjectRegistry once `url` is resolved.
Result<std::unique_ptr<RegistryStore>> OpenResolved(const Project& project, const std::string& url,
                                                    LostRegistry lost) {
  if (!IsDefaultRegistry(project, url))
    return OpenRegistryStore(url);
  const std::filesystem::path state_dir = StateDir(project);
  const std::filesystem::path marker = state_dir / kRegistryCreatedMarker;
  if (lost == LostRegistry::kRefuse && DefaultRegistryLost(project, url)) {
    return Error(Code::kNotFound,
                 "the registry database {} is missing, but this checkout had one ({} says "
                 "so); put the file back, or run 'conveyor pull' to import the experiments "
                 "and model versions pushed to the remote; to start an empty registry, "
                 "delete {}",
                 (state_dir / "registry.db").string(), marker.string(), marker.string());
  }
  if (!PathExists(state_dir / ".gitignore")) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) {
      return Error(Code::kIo, "cannot create {}: {}", state_dir.string(), ec.message());
    }
    RETURN_IF_ERROR(AtomicWriteFile(state_dir / ".gitignore",
                                    "# conveyor's local state: the embedded registry.\n*\n"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<RegistryStore> store, OpenRegistryStore(url));
  // Written only once the database opened, so a failed first open leaves
  // no marker behind to claim a registry that never was. Best effort: a
  // checkout where it cannot be written (read-only) still reads its
  // registry, only without the protection.
  if (!PathExists(marker)) {
    (void)AtomicWriteFile(  // best effort, see above
        marker,
        "conveyor: this checkout has an embedded registry (registry.db). While this file\n"
        "exists, a missing registry.db is an error instead of a new empty registry.\n");
  }
  return store;
}

}  // namespace

Result<std::unique_ptr<RegistryStore>> OpenProjectRegistry(const Project& project,
                                                           const ConveyorConfig& config,
                                                           std::string_view flag,
                                                           LostRegistry lost) {
  const char* env = std::getenv(kRegistryEnv);  // NOLINT(concurrency-mt-unsafe): main thread
  return OpenResolved(project, ResolveRegistryUrl(project, config, flag, env ? env : ""), lost);
}

Result<std::unique_ptr<RegistryStore>> OpenExistingProjectRegistry(const Project& project,
                                                                   const ConveyorConfig& config,
                                                                   std::string_view flag,
                                                                   LostRegistry lost,
                                                                   NamedRegistry named) {
  const char* env = std::getenv(kRegistryEnv);  // NOLINT(concurrency-mt-unsafe): main thread
  const std::string_view env_value = env != nullptr ? env : "";
  const std::string url = ResolveRegistryUrl(project, config, flag, env_value);
  if (IsPostgresUrl(url) || PathExists(std::string(SqlitePathOf(url))) ||
      (lost == LostRegistry::kRefuse && DefaultRegistryLost(project, url))) {
    return OpenResolved(project, url, lost);
  }
  if (named == NamedRegistry::kMustExist && !IsDefaultRegistry(project, url)) {
    std::string_view source = !flag.empty()        ? "--registry"
                              : !env_value.empty() ? kRegistryEnv
                                                   : "conveyor.yaml's registry";
    return Error(Code::kNotFound, "the registry {} (named by {}) does not exist", url, source);
  }
  return std::unique_ptr<RegistryStore>();
}

}  // namespace conveyor
