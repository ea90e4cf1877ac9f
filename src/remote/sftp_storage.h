// SftpStorage: the RemoteStorage backend for ssh://[user@]host[:port]/path
// remotes (DVC's spelling; sftp:// is rewritten to ssh:// when a remote is
// added). libssh carries the SSH transport, host-key checking and
// authentication; the SFTP protocol (version 3, as OpenSSH speaks it) is
// spoken here over an SSH channel so that reads and writes can be pipelined
// (many requests in flight, not one round trip per chunk) and replacing an
// object can use OpenSSH's posix-rename@openssh.com extension, neither of
// which libssh 0.10's sftp_* functions offer.
//
// Layout: "<path>/files/md5/ab/cdef…" on the server, as DVC writes it.
//
// Options read (DVC's names; they win over the URL's user and port):
//   user      login name; default: the URL's, else ~/.ssh/config's, else the
//             local user (libssh's rules).
//   port      default: the URL's, else ~/.ssh/config's, else 22.
//   keyfile   private key to log in with. When unset, libssh's automatic
//             choice: ssh-agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa.
//   passphrase  for an encrypted keyfile.
//   password  tried after the keys (keep it in .dvc/config.local).
//   timeout   seconds; bounds connecting and every wait for the server's
//             answer. Default SftpTuning::timeout (60 s).
//   max_sessions  SSH connections per remote at most; default
//             SftpTuning::max_sessions (8).
// ~/.ssh/config is read for the host (Hostname, User, Port, IdentityFile,
// UserKnownHostsFile), then the options above are applied over it.
//
// Host keys are checked against ~/.ssh/known_hosts (or the config's
// UserKnownHostsFile, or SftpTuning::known_hosts). A key that differs from
// the recorded one is always an error (kPermissionDenied, "HOST KEY
// CHANGED"). An unknown host is an error too, never trusted silently: the
// message names the host, the key's type and SHA256 fingerprint and the
// ssh-keyscan command that would record it. Neither is retried.
//
// Operations: Exists is one STAT. Upload opens a temporary name
// ".<name>.tmp.<random>" in the key's directory (creating directories only
// when that open says they are missing, tolerating other threads creating
// them too), streams the file in pipelined WRITEs, closes it and renames it
// over the key with posix-rename@openssh.com (plain RENAME, after removing
// the old object, on servers without the extension). Download pipelines
// READs straight into `dest`, hashing the pieces as they arrive (in offset
// order: OrderedMd5). List
// walks the directories under the prefix (names starting with '.' are
// transfers in progress and skipped); a missing directory lists as empty.
//
// Errors name the remote URL and key. kPermissionDenied: login refused, host
// key unknown or changed, or the server's "permission denied";
// kNotFound: no such object or path; kUnavailable: cannot connect, the
// connection dropped or timed out, after SftpTuning::max_attempts tries with
// exponential backoff and full jitter (S3BackoffDelay); kIo: a local file, or
// the server's filesystem failing a request; kInvalid: a malformed url or
// option, or an answer that breaks the protocol.
//
// Thread safety: every method may be called from several threads at once.
// libssh sessions are not thread-safe, so each call borrows one connection
// from a pool for its duration: an idle one, else a new one while fewer than
// max_sessions exist, else it waits for one to come back. Connections are
// opened lazily and dropped when they fail.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"
#include "remote/dvc_config.h"
#include "remote/remote_storage.h"

namespace conveyor {

// Knobs with production defaults; tests shrink them.
struct SftpTuning {
  // Connections per remote when the remote sets no max_sessions. OpenSSH's
  // default MaxStartups starts refusing at 10 unauthenticated connections.
  int max_sessions = 8;
  // Tries per operation, the first included.
  int max_attempts = 5;
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_cap{10000};
  // When the remote sets no timeout.
  std::chrono::seconds timeout{60};
  // Bytes per READ / WRITE request and requests in flight per transfer.
  // OpenSSH's sftp-server answers reads of up to 255 KiB.
  uint32_t chunk_size = 128 * 1024;
  int requests_in_flight = 32;
  // Overrides ~/.ssh/known_hosts (and the config's UserKnownHostsFile) when
  // not empty.
  std::filesystem::path known_hosts;
  // Read ~/.ssh/config and /etc/ssh/ssh_config for the host.
  bool read_ssh_config = true;
};

// Opens the backend for `remote` (url ssh://[user@]host[:port]/abs/path).
// kInvalid for a malformed url or option; no connection is made here.
Result<std::unique_ptr<RemoteStorage>> OpenSftpStorage(const RemoteConfig& remote,
                                                       const SftpTuning& tuning = {});

}  // namespace conveyor
