#include "cli/remote_serving.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "common/file_lock.h"
#include "common/md5.h"
#include "common/redact.h"
#include "pipeline/project.h"
#include "registry/model_ref.h"
#include "remote/dvc_config.h"
#include "remote/remote_options.h"
#include "remote/transfer.h"

namespace conveyor::cli {
namespace {

namespace fs = std::filesystem;

// How long an update waits for another server updating the same mirror.
constexpr std::chrono::seconds kLockWait{120};

bool LooksLikeUrl(std::string_view text) {
  return text.find("://") != std::string_view::npos || text.find('/') != std::string_view::npos ||
         text.starts_with(".") || text.starts_with("~");
}

Result<RemoteConfig> RemoteFromUrl(const RemoteServingOptions& options, const fs::path& cwd) {
  ASSIGN_OR_RETURN(RemoteUrl url, ParseSupportedRemoteUrl(options.remote));
  RemoteConfig remote{.name = "--remote", .url = url.url, .base_dir = cwd};
  for (const std::string& option : options.options) {
    const size_t eq = option.find('=');
    if (eq == std::string::npos || eq == 0) {
      // Quoted as a config line is: the option may be a key with its secret.
      std::string start = ConfigLineForMessage(option);
      return Error(Code::kUsage, "--remote-option {}is not KEY=VALUE",
                   start.empty() ? "" : "'" + start + "' ");
    }
    std::string key = option.substr(0, eq);
    std::string value = option.substr(eq + 1);
    RETURN_IF_ERROR(
        ValidateRemoteOption(url.type, key, value).WithContext("--remote-option " + key));
    remote.options[key] = value;
  }
  return remote;
}

}  // namespace

Result<RemoteConfig> ResolveServingRemote(const RemoteServingOptions& options,
                                          const fs::path& cwd) {
  if (LooksLikeUrl(options.remote)) {
    return RemoteFromUrl(options, cwd);
  }
  // A name: one of the current project's remotes.
  Result<Project> project = Project::Discover(cwd);
  if (!project.ok()) {
    return Error(Code::kUsage,
                 "--remote '{}' is neither a URL (s3://bucket/path, ssh://host/path, a folder) "
                 "nor, outside a project, the name of a remote",
                 options.remote);
  }
  if (!options.options.empty()) {
    return Error(Code::kUsage,
                 "--remote-option applies to a URL; remote '{}' takes its options from "
                 ".dvc/config ('conveyor remote modify')",
                 options.remote);
  }
  ASSIGN_OR_RETURN(DvcConfig config, DvcConfig::Load(project->dvc_dir()));
  return config.Remote(options.remote);
}

fs::path DefaultMirrorDir(const RemoteConfig& remote) {
  fs::path base;
  // NOLINTBEGIN(concurrency-mt-unsafe): read once on the main thread at start.
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    base = fs::path(home) / ".cache";
  } else {
    base = fs::temp_directory_path();
  }
  // NOLINTEND(concurrency-mt-unsafe)
  // Named without the url's password: a path is no place for it, even hashed.
  auto endpoint = remote.options.find("endpointurl");
  const std::string identity =
      RedactUrlPasswords(remote.url) + "\n" +
      (endpoint == remote.options.end() ? "" : RedactUrlPasswords(endpoint->second));
  return base / "conveyor" / "remotes" / Md5Hex(identity).substr(0, 16);
}

RemoteMirror::RemoteMirror(std::unique_ptr<RemoteStorage> remote,
                           std::unique_ptr<RegistryStore> store, fs::path state_dir)
    : remote_(std::move(remote)), store_(std::move(store)), state_dir_(std::move(state_dir)) {}

Result<std::unique_ptr<RemoteMirror>> RemoteMirror::Open(const RemoteConfig& remote,
                                                         fs::path state_dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<RemoteStorage> storage, OpenRemoteStorage(remote));
  return Open(std::move(storage), std::move(state_dir));
}

Result<std::unique_ptr<RemoteMirror>> RemoteMirror::Open(std::unique_ptr<RemoteStorage> storage,
                                                         fs::path state_dir) {
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) {
    return Error(Code::kIo, "cannot create the mirror directory {}: {}", state_dir.string(),
                 ec.message());
  }
  ASSIGN_OR_RETURN(std::unique_ptr<RegistryStore> store,
                   OpenRegistryStore("sqlite:" + (state_dir / "registry.db").string()));
  return std::unique_ptr<RemoteMirror>(
      new RemoteMirror(std::move(storage), std::move(store), std::move(state_dir)));
}

std::string RemoteMirror::registry_url() const {
  return "sqlite:" + (state_dir_ / "registry.db").string();
}

Result<RegistryImportReport> RemoteMirror::Sync() {
  Result<std::unique_ptr<FileLock>> lock = FileLock::Acquire(state_dir_ / "lock", kLockWait);
  if (!lock.ok()) {
    if (lock.status().code() == Code::kFailed) {
      return Error(Code::kUnavailable,
                   "another conveyor process has been updating the mirror {} for over {} s",
                   state_dir_.string(), kLockWait.count());
    }
    return lock.status();
  }
  return ImportRegistry(*remote_, *store_, state_dir_ / "tmp",
                        {.mirror_aliases = true, .actor = "remote " + remote_->Describe()});
}

Status RemoteMirror::FetchObject(const std::string& md5) {
  ASSIGN_OR_RETURN(TransferReport report, Fetch(objects(), *remote_, {md5}, {}));
  if (!report.missing.empty()) {
    return Error(Code::kNotFound, "object {} is not on {} (push it with 'conveyor push')",
                 report.missing.front(), remote_->Describe());
  }
  return OkStatus();
}

RemoteModelLoader::RemoteModelLoader(RemoteMirror& mirror, serving::BatchOptions batch, Warn warn)
    : mirror_(mirror),
      inner_(mirror.store(), mirror.objects(), mirror.serving_dir(), batch),
      warn_(std::move(warn)) {}

Result<std::unique_ptr<serving::ServedModel>> RemoteModelLoader::Load(std::string_view ref) {
  std::lock_guard lock(mu_);
  Result<RegistryImportReport> synced = mirror_.Sync();
  std::string stale;
  if (!synced.ok()) {
    // An unreachable remote or refused credentials leave the mirror as it
    // was; a broken record is not something to serve around.
    const Code code = synced.status().code();
    if (code != Code::kUnavailable && code != Code::kPermissionDenied) {
      return synced.status();
    }
    stale = synced.status().message();
    if (warn_) {
      warn_(fmt::format("cannot update from the remote ({}); using the mirror in {}", stale,
                        mirror_.state_dir().string()));
    }
  }
  Result<ModelVersion> version = ResolveModelRef(mirror_.store(), ref);
  if (!version.ok()) {
    if (!stale.empty()) {
      return Error(version.status().code(), "{} (the remote could not be read: {})",
                   version.status().message(), stale);
    }
    return version.status();
  }
  RETURN_IF_ERROR(mirror_.FetchObject(version->md5).WithContext(std::string(ref)));
  return inner_.Load(ref);
}

Result<int> RemoteModelLoader::AliasVersion(const std::string& model, const std::string& alias) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(mirror_.Sync().status());
  return conveyor::AliasVersion(mirror_.store(), model, alias);
}

}  // namespace conveyor::cli
