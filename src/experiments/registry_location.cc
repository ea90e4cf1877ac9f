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

Result<std::unique_ptr<RegistryStore>> OpenProjectRegistry(const Project& project,
                                                           const ConveyorConfig& config,
                                                           std::string_view flag) {
  const char* env = std::getenv(kRegistryEnv);
  std::string url = ResolveRegistryUrl(project, config, flag, env ? env : "");
  std::filesystem::path state_dir = project.root() / ".conveyor";
  if (url == "sqlite:" + (state_dir / "registry.db").string() &&
      !PathExists(state_dir / ".gitignore")) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) {
      return Error(Code::kIo, "cannot create {}: {}", state_dir.string(), ec.message());
    }
    RETURN_IF_ERROR(AtomicWriteFile(state_dir / ".gitignore",
                                    "# conveyor's local state: the embedded registry.\n*\n"));
  }
  return OpenRegistryStore(url);
}

}  // namespace conveyor
