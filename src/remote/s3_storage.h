// S3Storage: the RemoteStorage backend for s3://bucket/prefix remotes, AWS or
// any S3-compatible server (MinIO, s3rver, Ceph) named by `endpointurl`.
// Requests are signed with SigV4 (sigv4.h) and sent with libcurl.
//
// Addressing: with `endpointurl` requests go path-style
// (<endpoint>/<bucket>/<key>); without, virtual-host style against AWS
// (https://<bucket>.s3.<region>.amazonaws.com/<key>). Keys live under the
// URL's prefix ("s3://b/store" + "files/md5/ab/cd" = object "store/files/md5/ab/cd").
//
// Operations: Exists is a HEAD; Download a GET streamed into `dest` and
// hashed on the way; Upload one PUT carrying the file's
// SHA-256 below S3Tuning::multipart_threshold (files up to
// S3Tuning::in_memory_upload_limit are read once, into memory), else a
// multipart upload with S3Tuning::part_jobs parts in flight (aborted on
// failure, so no partial object is ever visible); List is ListObjectsV2 with
// continuation tokens.
//
// Options read (DVC's names): endpointurl, region, profile, access_key_id,
// secret_access_key, session_token, credentialpath, configpath (see
// s3_credentials.h), use_ssl (false: http:// against AWS), ssl_verify (false:
// accept any certificate), connect_timeout and read_timeout (seconds).
//
// Retries: every request is retried up to S3Tuning::max_attempts times on
// connection failures, timeouts, resets, 5xx and throttling (429, SlowDown),
// sleeping a random time in [0, min(cap, base * 2^attempt)) between tries
// ("full jitter"); other 4xx are final.
//
// Thread safety: every method may be called from several threads at once.
// State is constant after construction; each thread keeps its own CURL
// handle (connections are reused per thread). A multipart upload runs its
// extra part threads inside Upload and joins them before returning; the
// progress callback is then called from those threads too, one call at a
// time, with a figure that never decreases.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "remote/dvc_config.h"
#include "remote/remote_storage.h"
#include "remote/s3_credentials.h"

namespace conveyor {

// Knobs with production defaults; tests shrink them.
struct S3Tuning {
  // Files of this size or more go up as multipart uploads. 64 MiB.
  uint64_t multipart_threshold = uint64_t{64} << 20;
  // Size of every part but the last (S3's minimum is 5 MiB). 16 MiB.
  uint64_t part_size = uint64_t{16} << 20;
  // Parts of one multipart upload sent at once, each on its own thread and
  // connection (on top of the transfer engine's jobs). 1: one after another.
  int part_jobs = 4;
  // Files up to this size are read into memory once, for both the payload
  // hash and the body; larger ones are read twice from disk. 1 MiB.
  uint64_t in_memory_upload_limit = uint64_t{1} << 20;
  // ListObjectsV2 max-keys (S3 caps it at 1,000).
  int list_page_size = 1000;
  // Tries per request, the first included.
  int max_attempts = 5;
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_cap{10000};
  // Defaults when the remote sets no connect_timeout / read_timeout. A
  // transfer stalled (under 1 byte/s) for read_timeout fails and is retried.
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{60};
  // Where AWS_* variables and HOME come from.
  EnvLookup env = ProcessEnv();
};

// Opens the backend for `remote` (url s3://bucket[/prefix]). kInvalid for a
// malformed url or option; no request is made here.
Result<std::unique_ptr<RemoteStorage>> OpenS3Storage(const RemoteConfig& remote,
                                                     const S3Tuning& tuning = {});

// The retry policy, as pure functions.
//
// Whether an attempt that ended with libcurl code `curl_code` (0 when the
// transfer completed), HTTP status `http_status` and S3 error code `s3_code`
// ("" when none) is worth repeating.
bool IsRetryableS3Failure(int curl_code, long http_status, std::string_view s3_code);
// The sleep before retry number `retry` (1 for the first retry), given a
// uniform random number `unit` in [0, 1).
std::chrono::milliseconds S3BackoffDelay(int retry, std::chrono::milliseconds base,
                                         std::chrono::milliseconds cap, double unit);

}  // namespace conveyor
