// ObjectKey and the choice of backend for a remote's URL.
//
// Thread safety: free functions without shared state.
#include "remote/remote_storage.h"

#include "common/redact.h"
#include "remote/local_storage.h"
#include "remote/s3_storage.h"
#include "remote/sftp_storage.h"

namespace conveyor {

namespace fs = std::filesystem;

std::string ObjectKey(std::string_view md5) {
  std::string key = "files/md5/";
  key.append(md5.substr(0, 2));
  key.push_back('/');
  key.append(md5.substr(std::min<size_t>(2, md5.size())));
  return key;
}

Result<std::unique_ptr<RemoteStorage>> OpenRemoteStorage(const RemoteConfig& remote) {
  std::string_view url = remote.url;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    // A plain path; a relative one is relative to the .dvc directory, as DVC
    // reads it.
    fs::path root(remote.url);
    if (root.is_relative())
      root = remote.base_dir / root;
    return std::unique_ptr<RemoteStorage>(
        std::make_unique<LocalStorage>(root.lexically_normal(), remote.url));
  }
  std::string_view scheme = url.substr(0, scheme_end);
  if (scheme == "file") {
    std::string_view path = url.substr(scheme_end + 3);
    if (path.empty() || path.front() != '/') {
      return Error(Code::kInvalid, "remote '{}': file:// URL '{}' needs an absolute path",
                   remote.name, RedactUrlPasswords(remote.url));
    }
    return std::unique_ptr<RemoteStorage>(
        std::make_unique<LocalStorage>(fs::path(path).lexically_normal(), remote.url));
  }
  if (scheme == "s3") {
    return OpenS3Storage(remote);
  }
  if (scheme == "ssh" || scheme == "sftp") {
    return OpenSftpStorage(remote);
  }
  return Error(Code::kInvalid, "remote '{}': {}:// storage is not built in yet", remote.name,
               scheme);
}

}  // namespace conveyor
