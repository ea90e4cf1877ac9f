// RemoteStorage: the few operations push, pull and fetch need from a place
// that holds DVC-layout objects — a local or mounted folder, an S3-compatible
// bucket, an SFTP server — and OpenRemoteStorage, which picks the backend for
// a remote's URL scheme.
//
// Keys are '/'-separated paths relative to the remote's root (the URL's path
// or bucket prefix), e.g. "files/md5/ab/cdef0123...". DVC 3 stores every cache
// object under "files/md5/<first two hex digits>/<rest>" (a directory's
// listing with the ".dir" suffix), so a remote DVC filled can be pulled by
// conveyor and the reverse.
//
// Guarantees every backend gives:
//   - Upload never exposes a partial object: a reader sees the old object (or
//     none) until the new one is complete (temp name then rename; one PUT or a
//     completed multipart upload on S3).
//   - Download writes straight into `dest`, which the caller names (creating
//     or truncating it): no temporary name and rename of its own, since the
//     transfer engine already downloads to a temporary name in the cache and
//     renames after checking. A failed download removes `dest`; a caller that
//     needs a reader never to see a partial file passes a temporary name.
//     The backend hashes the bytes as it writes them and returns their md5
//     and size; it does not compare them with anything (the transfer engine
//     does, before the object enters the cache).
//   - Errors are one line naming the remote, the key and the cause, with a
//     Code a caller can act on: kNotFound (no such object, bucket or path),
//     kPermissionDenied (credentials refused), kUnavailable (host unreachable,
//     timeouts, 5xx after retries), kIo (local disk), kInvalid (the remote
//     answered something that makes no sense).
//   - Transient failures (timeouts, resets, 5xx, throttling) are retried with
//     exponential backoff and jitter inside the backend.
//
// Thread safety: every method may be called from several threads at once
// (the transfer engine runs `jobs` transfers in parallel on one object).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/md5.h"
#include "common/status.h"
#include "remote/dvc_config.h"

namespace conveyor {

struct RemoteObject {
  std::string key;  // relative to the remote root
  uint64_t size = 0;
};

// Called with the bytes moved so far for one object (for progress bars); may
// be called from the transferring thread, often.
using ByteProgress = std::function<void(uint64_t bytes)>;

class RemoteStorage {
 public:
  virtual ~RemoteStorage() = default;

  // "s3://bucket/prefix", "/mnt/share/dvc-store": for messages.
  virtual std::string Describe() const = 0;

  // True when List is cheap enough to find what is missing in bulk (one
  // request per page of 1,000 keys); false when only Exists per key works.
  virtual bool CanList() const = 0;

  // Every object whose key starts with `prefix` ("files/md5/" for all
  // objects), in no particular order. A missing root is an empty list when the
  // backend cannot tell it from an empty one, else kNotFound.
  virtual Result<std::vector<RemoteObject>> List(std::string_view prefix) = 0;

  // Whether `key` exists.
  virtual Result<bool> Exists(std::string_view key) = 0;

  // Copies the object `key` into the local file `dest` (its directory
  // exists; the file is created or truncated) and returns the md5 and size of
  // the bytes written. On failure `dest` is removed.
  virtual Result<FileDigest> Download(std::string_view key, const std::filesystem::path& dest,
                                      const ByteProgress& progress = {}) = 0;

  // Stores the local file `source` as `key`, replacing any object there.
  virtual Status Upload(const std::filesystem::path& source, std::string_view key,
                        const ByteProgress& progress = {}) = 0;
};

// The key DVC 3 gives cache object `md5` ("ab12…" or "ab12….dir"):
// "files/md5/ab/12…".
std::string ObjectKey(std::string_view md5);

// The backend for `remote.url`: a local path or file:// URL, s3://, ssh://.
// kInvalid for a scheme with no backend (naming the remote and the scheme).
Result<std::unique_ptr<RemoteStorage>> OpenRemoteStorage(const RemoteConfig& remote);

}  // namespace conveyor
