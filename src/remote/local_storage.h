// LocalStorage: a RemoteStorage over a folder — a local disk, a mounted
// share — laid out as DVC lays out a local remote ("<root>/files/md5/ab/cd…").
//
// Objects are written with ordinary permissions (0666 minus umask), as DVC
// does for local remotes; only the cache protects its objects read-only.
// Uploads copy to a temporary name in the target's directory and rename, so
// no reader of the remote ever sees a partial object; downloads write
// straight into `dest` (RemoteStorage's contract), hashing the bytes on the
// way. Copies go in 1 MiB chunks, reporting the bytes so far to ByteProgress
// after each; a full disk is a kIo error naming the file that could not be
// written, and leaves nothing behind.
//
// Thread safety: holds only constant paths; every method may run
// concurrently (each transfer uses its own temporary file).
#pragma once

#include <filesystem>
#include <string>

#include "remote/remote_storage.h"

namespace conveyor {

class LocalStorage : public RemoteStorage {
 public:
  // `root` is the remote's folder (absolute); `display` is what messages
  // call it (the configured url), or the root's path when empty.
  explicit LocalStorage(std::filesystem::path root, std::string display = "");

  std::string Describe() const override { return display_; }
  bool CanList() const override { return true; }
  // A missing root is an empty list (a remote nothing was pushed to yet).
  Result<std::vector<RemoteObject>> List(std::string_view prefix) override;
  // A missing root is kNotFound naming it.
  Result<bool> Exists(std::string_view key) override;
  Result<FileDigest> Download(std::string_view key, const std::filesystem::path& dest,
                              const ByteProgress& progress = {}) override;
  // Creates the root and the key's directories as needed.
  Status Upload(const std::filesystem::path& source, std::string_view key,
                const ByteProgress& progress = {}) override;

  const std::filesystem::path& root() const { return root_; }

 private:
  Status CheckRoot() const;

  // Constant after construction.
  std::filesystem::path root_;
  std::string display_;
};

}  // namespace conveyor
