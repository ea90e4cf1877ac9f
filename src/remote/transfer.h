// The transfer engine behind push, fetch and `status --cloud`: given the
// cache objects a command needs (md5s of files and ".dir" listings), work out
// which are missing at the other end and move only those, in parallel, over
// any RemoteStorage.
//
// What moves: every object named, and for a ".dir" every file it lists (read
// from the cache on push; on fetch the listing is downloaded and checked
// first, then its files).
// Order: on push, a ".dir" is uploaded only after every file it lists is on
// the remote, so a remote never holds a listing whose files are missing.
// Integrity: a fetched object is downloaded to a temporary file inside the
// cache, hashed by the backend as it writes it (no second read), and renamed
// into place (read-only) only when that md5 matches; otherwise it is removed
// and the failure names remote and key.
// Failures of single objects do not stop the others; the call then fails at
// the end with a summary. Rerunning moves only what is still missing.
// Exception: once a transfer fails with kUnavailable (the backend has
// already retried with backoff), the transfers not yet started are skipped
// (TransferReport::not_attempted): the host is down, and retrying every
// object against it would only make the user wait.
// Errors: the call's Code is the one every failure shared (kUnavailable for
// a dead host, kIo for a full disk, kInvalid for corrupt objects,
// kPermissionDenied for refused credentials), else kFailed.
// Push treats an object the remote lists with a size other than the
// cache's as absent and uploads it again (a partial object some server
// left behind after a crash).
//
// Thread safety: one call at a time per ObjectStore/RemoteStorage pair is the
// intended use; internally a call runs `jobs` workers and calls `progress`
// from one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "cache/object_store.h"
#include "common/status.h"
#include "remote/remote_storage.h"

namespace conveyor {

struct TransferProgress {
  size_t done_objects = 0;   // transferred or failed so far
  size_t total_objects = 0;  // objects to move (grows on fetch as listings arrive)
  // Bytes moved so far, including the parts of objects still in flight (as
  // the backends report them through ByteProgress). Never decreases, even
  // when a backend restarts an object after a retry.
  uint64_t done_bytes = 0;
  uint64_t total_bytes = 0;  // 0 when unknown (fetch from a remote that cannot list)
};

struct TransferOptions {
  // Parallel transfers; 0 means DefaultTransferJobs().
  int jobs = 0;
  // Called after each object finishes and whenever a backend reports bytes
  // of an object in flight (often: keep it cheap, rate-limit any drawing),
  // serialised; may be empty.
  std::function<void(const TransferProgress&)> progress;
  // Fetch only: called once on the calling thread when the directory
  // listings are in the cache, before the first file object is downloaded;
  // may be empty.
  std::function<void()> listings_ready;
  // Fetch only: called on a worker thread, possibly on several at once,
  // right after file object `md5` has been checked and moved into the cache
  // (pull checks it out from there while other downloads go on); may be
  // empty.
  std::function<void(const std::string& md5)> stored;
};

struct TransferReport {
  size_t transferred = 0;
  uint64_t transferred_bytes = 0;
  size_t present = 0;  // already at the destination
  // Named but found at neither end (push: not in the cache; fetch: not on
  // the remote). Not a failure of the call: DVC warns about these too.
  std::vector<std::string> missing;
  size_t failed = 0;
  uint64_t failed_bytes = 0;
  // Skipped after the remote was found unavailable; a rerun moves them.
  size_t not_attempted = 0;
};

// 4 per core, at most 64.
int DefaultTransferJobs();

// Uploads the objects of `objects` (and the files their ".dir"s list) that
// the remote lacks. Fails, after trying everything, when any transfer failed:
// the message counts them and quotes the first few errors.
Result<TransferReport> Push(const ObjectStore& store, RemoteStorage& remote,
                            const std::set<std::string>& objects, const TransferOptions& options);

// Downloads the objects the cache lacks, checking each one's md5.
Result<TransferReport> Fetch(const ObjectStore& store, RemoteStorage& remote,
                             const std::set<std::string>& objects, const TransferOptions& options);

// Where each object (".dir" listings expanded from the cache) is.
struct CloudStatus {
  std::vector<std::string> in_sync;        // in the cache and on the remote
  std::vector<std::string> not_on_remote;  // in the cache only: push would send
  std::vector<std::string> not_in_cache;   // on the remote only: fetch would get
  std::vector<std::string> missing;        // at neither end
};

Result<CloudStatus> CompareWithRemote(const ObjectStore& store, RemoteStorage& remote,
                                      const std::set<std::string>& objects, int jobs = 0);

}  // namespace conveyor
