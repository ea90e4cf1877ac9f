// SftpStorage (sftp_storage.h): a pool of libssh connections, each with one
// SFTP v3 channel spoken by SftpChannel below.
// Thread safety: see the header; a connection is used by one thread at a
// time, the pool's state is guarded by its mutex.
#include "remote/sftp_storage.h"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "common/redact.h"
#include "remote/ordered_md5.h"
#include "remote/remote_options.h"
#include "remote/s3_storage.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

// SFTP version 3 (draft-ietf-secsh-filexfer-02), the version OpenSSH speaks.
enum PacketType : uint8_t {
  kFxpInit = 1,
  kFxpVersion = 2,
  kFxpOpen = 3,
  kFxpClose = 4,
  kFxpRead = 5,
  kFxpWrite = 6,
  kFxpOpendir = 11,
  kFxpReaddir = 12,
  kFxpRemove = 13,
  kFxpMkdir = 14,
  kFxpStat = 17,
  kFxpRename = 18,
  kFxpStatus = 101,
  kFxpHandle = 102,
  kFxpData = 103,
  kFxpName = 104,
  kFxpAttrs = 105,
  kFxpExtended = 200,
};
enum StatusCode : uint32_t {
  kFxOk = 0,
  kFxEof = 1,
  kFxNoSuchFile = 2,
  kFxPermissionDenied = 3,
  kFxFailure = 4,
  kFxNoConnection = 6,
  kFxConnectionLost = 7,
};
constexpr uint32_t kOpenRead = 0x01;
constexpr uint32_t kOpenWrite = 0x02;
constexpr uint32_t kOpenCreate = 0x08;
constexpr uint32_t kOpenTruncate = 0x10;
constexpr uint32_t kAttrSize = 0x01;
constexpr uint32_t kAttrUidGid = 0x02;
constexpr uint32_t kAttrPermissions = 0x04;
constexpr uint32_t kAttrTimes = 0x08;
constexpr uint32_t kAttrExtended = 0x80000000U;
constexpr uint32_t kMaxPacket = 1U << 20;  // OpenSSH's own client refuses more too
constexpr size_t kReadBuffer = 4U << 20;
constexpr const char* kPosixRename = "posix-rename@openssh.com";

// Big-endian writer for request packets.
class Packet {
 public:
  Packet(uint8_t type, uint32_t id) {
    data_.resize(4);
    data_.push_back(static_cast<char>(type));
    U32(id);
  }
  Packet& U32(uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      data_.push_back(static_cast<char>((v >> shift) & 0xff));
    return *this;
  }
  Packet& U64(uint64_t v) {
    U32(static_cast<uint32_t>(v >> 32));
    return U32(static_cast<uint32_t>(v));
  }
  Packet& Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    data_.append(s);
    return *this;
  }
  // The finished packet, its length prefix filled in.
  std::string& Finish() {
    uint32_t length = static_cast<uint32_t>(data_.size() - 4);
    for (int i = 0; i < 4; ++i)
      data_[i] = static_cast<char>((length >> (24 - 8 * i)) & 0xff);
    return data_;
  }

 private:
  std::string data_;
};

// Big-endian reader over one reply; reads past the end set `bad`.
struct Reader {
  std::string_view rest;
  bool bad = false;

  uint32_t U32() {
    if (rest.size() < 4) {
      bad = true;
      rest = {};
      return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v = (v << 8) | static_cast<unsigned char>(rest[i]);
    rest.remove_prefix(4);
    return v;
  }
  uint64_t U64() {
    uint64_t high = U32();
    return (high << 32) | U32();
  }
  std::string_view Str() {
    uint32_t size = U32();
    if (size > rest.size()) {
      bad = true;
      rest = {};
      return {};
    }
    std::string_view s = rest.substr(0, size);
    rest.remove_prefix(size);
    return s;
  }
};

struct Attributes {
  bool has_size = false;
  uint64_t size = 0;
  bool has_mode = false;
  uint32_t mode = 0;
};

Attributes ReadAttributes(Reader& in) {
  Attributes attrs;
  uint32_t flags = in.U32();
  if (flags & kAttrSize) {
    attrs.has_size = true;
    attrs.size = in.U64();
  }
  if (flags & kAttrUidGid) {
    in.U32();
    in.U32();
  }
  if (flags & kAttrPermissions) {
    attrs.has_mode = true;
    attrs.mode = in.U32();
  }
  if (flags & kAttrTimes) {
    in.U32();
    in.U32();
  }
  if (flags & kAttrExtended) {
    for (uint32_t n = in.U32(); n > 0 && !in.bad; --n) {
      in.Str();
      in.Str();
    }
  }
  return attrs;
}

struct Reply {
  uint8_t type = 0;
  uint32_t id = 0;
  std::string body;  // after type and id
};

// The Status for an SFTP STATUS reply about `what` (a path, for messages).
// What a request of `type` does, for messages ("the server failed to rename").
std::string_view Verb(uint8_t type) {
  switch (type) {
    case kFxpOpen:
      return "open";
    case kFxpClose:
      return "close";
    case kFxpRead:
      return "read";
    case kFxpWrite:
      return "write";
    case kFxpOpendir:
    case kFxpReaddir:
      return "list";
    case kFxpRemove:
      return "remove";
    case kFxpMkdir:
      return "create a directory";
    case kFxpStat:
      return "stat";
    case kFxpRename:
    case kFxpExtended:
      return "rename";
    default:
      return "answer";
  }
}

Status StatusError(const Reply& reply, std::string_view what, uint8_t type) {
  Reader in{reply.body};
  uint32_t code = in.U32();
  std::string message(in.Str());
  if (message.empty())
    message = fmt::format("SFTP status {}", code);
  switch (code) {
    case kFxNoSuchFile:
      return Error(Code::kNotFound, "{}: no such file or directory", what);
    case kFxPermissionDenied:
      return Error(Code::kPermissionDenied, "{}: permission denied by the server", what);
    case kFxNoConnection:
    case kFxConnectionLost:
      return Error(Code::kUnavailable, "{}: connection lost ({})", what, message);
    default:
      return Error(Code::kIo, "{}: the server failed to {} ({})", what, Verb(type), message);
  }
}

uint32_t StatusCodeOf(const Reply& reply) {
  Reader in{reply.body};
  return reply.type == kFxpStatus ? in.U32() : kFxFailure;
}

std::string RandomSuffix() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return fmt::format("{:016x}", random());
}

// Closes a local fd on scope exit.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

// One SSH connection with its SFTP channel; used by one thread at a time.
// Transport failures (closed, timed out, garbled) are kUnavailable or
// kInvalid and mark the connection broken, so the pool drops it.
class SftpChannel {
 public:
  SftpChannel(ssh_session session, std::chrono::milliseconds timeout)
      : session_(session), timeout_(timeout) {}
  ~SftpChannel() {
    if (channel_ != nullptr) {
      ssh_channel_close(channel_);
      ssh_channel_free(channel_);
    }
    ssh_disconnect(session_);
    ssh_free(session_);
  }
  SftpChannel(const SftpChannel&) = delete;
  SftpChannel& operator=(const SftpChannel&) = delete;

  bool broken() const { return broken_; }
  bool has_posix_rename() const { return has_posix_rename_; }

  // Opens the "sftp" subsystem and exchanges versions.
  Status Start(std::string_view where) {
    channel_ = ssh_channel_new(session_);
    if (channel_ == nullptr || ssh_channel_open_session(channel_) != SSH_OK ||
        ssh_channel_request_subsystem(channel_, "sftp") != SSH_OK) {
      return Transport(where,
                       fmt::format("cannot start the sftp subsystem: {}", ssh_get_error(session_)));
    }
    const char init[] = {0, 0, 0, 5, static_cast<char>(kFxpInit), 0, 0, 0, 3};
    RETURN_IF_ERROR(Send(std::string_view(init, sizeof init), where));
    ASSIGN_OR_RETURN(Reply reply, Receive(where, /*has_id=*/false));
    if (reply.type != kFxpVersion)
      return Garbled(where, "no SFTP version");
    Reader in{reply.body};
    in.U32();  // the server's version; extensions follow as name, data pairs
    while (!in.rest.empty() && !in.bad) {
      if (in.Str() == kPosixRename)
        has_posix_rename_ = true;
      in.Str();
    }
    return OkStatus();
  }

  uint32_t NextId() { return next_id_++; }

  Status Send(std::string_view data, std::string_view where) {
    if (broken_)
      return Error(Code::kUnavailable, "{}: connection lost", where);
    while (!data.empty()) {
      int n = ssh_channel_write(channel_, data.data(), static_cast<uint32_t>(data.size()));
      if (n <= 0)
        return Transport(where, fmt::format("cannot send: {}", ssh_get_error(session_)));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return OkStatus();
  }

  // The next reply, whatever its id.
  Result<Reply> Receive(std::string_view where, bool has_id = true) {
    char header[4];
    RETURN_IF_ERROR(ReadExactly(header, 4, where));
    uint32_t length = 0;
    for (char c : header)
      length = (length << 8) | static_cast<unsigned char>(c);
    if (length < (has_id ? 5U : 1U) || length > kMaxPacket)
      return Garbled(where, fmt::format("a packet of {} bytes", length));
    Reply reply;
    std::string body(length, '\0');
    RETURN_IF_ERROR(ReadExactly(body.data(), length, where));
    reply.type = static_cast<uint8_t>(body[0]);
    size_t skip = 1;
    if (has_id) {
      Reader in{std::string_view(body).substr(1, 4)};
      reply.id = in.U32();
      skip = 5;
    }
    reply.body = body.substr(skip);
    return reply;
  }

  // Sends one request and waits for its reply.
  Result<Reply> Call(Packet& packet, uint32_t id, std::string_view where) {
    RETURN_IF_ERROR(Send(packet.Finish(), where));
    ASSIGN_OR_RETURN(Reply reply, Receive(where));
    if (reply.id != id)
      return Garbled(where,
                     fmt::format("a reply to request {} while waiting for {}", reply.id, id));
    return reply;
  }

  // A request answered by STATUS only; OK or the mapped error.
  Status CallForStatus(uint8_t type, std::initializer_list<std::string_view> strings,
                       std::string_view where) {
    uint32_t id = NextId();
    Packet packet(type, id);
    for (std::string_view s : strings)
      packet.Str(s);
    if (type == kFxpMkdir)
      packet.U32(kAttrPermissions).U32(0777);
    ASSIGN_OR_RETURN(Reply reply, Call(packet, id, where));
    if (reply.type != kFxpStatus)
      return Garbled(where, "an answer that is not a status");
    return StatusCodeOf(reply) == kFxOk ? OkStatus() : StatusError(reply, where, type);
  }

  Result<Attributes> Stat(const std::string& path, std::string_view where) {
    uint32_t id = NextId();
    Packet packet(kFxpStat, id);
    packet.Str(path);
    ASSIGN_OR_RETURN(Reply reply, Call(packet, id, where));
    if (reply.type == kFxpStatus)
      return StatusError(reply, where, kFxpStat);
    Reader in{reply.body};
    Attributes attrs = ReadAttributes(in);
    if (reply.type != kFxpAttrs || in.bad)
      return Garbled(where, "a STAT answer without attributes");
    return attrs;
  }

  // OPEN or OPENDIR; the handle.
  Result<std::string> Open(const std::string& path, uint32_t flags, bool dir,
                           std::string_view where) {
    uint32_t id = NextId();
    Packet packet(dir ? kFxpOpendir : kFxpOpen, id);
    packet.Str(path);
    if (!dir)
      packet.U32(flags).U32(kAttrPermissions).U32(0666);
    ASSIGN_OR_RETURN(Reply reply, Call(packet, id, where));
    if (reply.type == kFxpStatus)
      return StatusError(reply, where, dir ? kFxpOpendir : kFxpOpen);
    Reader in{reply.body};
    std::string handle(in.Str());
    if (reply.type != kFxpHandle || in.bad)
      return Garbled(where, "an OPEN answer without a handle");
    return handle;
  }

  Status Close(const std::string& handle, std::string_view where) {
    return CallForStatus(kFxpClose, {handle}, where);
  }

  Status Rename(const std::string& from, const std::string& to, std::string_view where) {
    if (has_posix_rename_)
      return CallForStatus(kFxpExtended, {kPosixRename, from, to}, where);
    // SFTP v3's RENAME refuses to replace; make room first (a reader may
    // briefly see no object, never a partial one).
    Status renamed = CallForStatus(kFxpRename, {from, to}, where);
    if (renamed.ok() || renamed.code() != Code::kIo)
      return renamed;
    Status removed = CallForStatus(kFxpRemove, {to}, where);
    if (!removed.ok() && removed.code() != Code::kNotFound)
      return removed;
    return CallForStatus(kFxpRename, {from, to}, where);
  }

  // Sends `data` as one WRITE at `offset` without waiting for its answer.
  Status SendWrite(const std::string& handle, uint64_t offset, std::string_view data, uint32_t id,
                   std::string_view where) {
    Packet packet(kFxpWrite, id);
    packet.Str(handle).U64(offset).Str(data);
    return Send(packet.Finish(), where);
  }

  Status SendRead(const std::string& handle, uint64_t offset, uint32_t length, uint32_t id,
                  std::string_view where) {
    Packet packet(kFxpRead, id);
    packet.Str(handle).U64(offset).U32(length);
    return Send(packet.Finish(), where);
  }

  // Marks the connection unusable (replies of abandoned requests may follow).
  void Abandon() { broken_ = true; }

  Status Garbled(std::string_view where, std::string_view what) {
    broken_ = true;
    return Error(Code::kInvalid, "{}: the SFTP server answered {}", where, what);
  }

 private:
  Status Transport(std::string_view where, std::string_view what) {
    broken_ = true;
    return Error(Code::kUnavailable, "{}: {}", where, what);
  }

  // Copies `size` bytes of the channel to `out`, through in_: reading up to
  // its whole size at once lets libssh grow the SSH window to match (it only
  // tops it up to ~1.2 MB otherwise), which keeps pipelined READs flowing.
  Status ReadExactly(char* out, uint32_t size, std::string_view where) {
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (size > 0) {
      if (in_begin_ < in_end_) {
        size_t take = std::min<size_t>(size, in_end_ - in_begin_);
        std::memcpy(out, in_.data() + in_begin_, take);
        in_begin_ += take;
        out += take;
        size -= static_cast<uint32_t>(take);
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return Transport(
            where, fmt::format("no answer from the server within {} s", timeout_.count() / 1000));
      }
      if (in_.empty())
        in_.resize(kReadBuffer);
      int n = ssh_channel_read_timeout(channel_, in_.data(), static_cast<uint32_t>(in_.size()), 0,
                                       static_cast<int>(left.count()));
      if (n == SSH_ERROR)
        return Transport(where, fmt::format("connection lost: {}", ssh_get_error(session_)));
      if (n == 0 && (ssh_channel_is_eof(channel_) || ssh_channel_is_closed(channel_)))
        return Transport(where, "the server closed the SFTP channel");
      in_begin_ = 0;
      in_end_ = n > 0 ? static_cast<size_t>(n) : 0;
    }
    return OkStatus();
  }

  ssh_session session_;
  ssh_channel channel_ = nullptr;
  std::chrono::milliseconds timeout_;
  uint32_t next_id_ = 1;
  bool has_posix_rename_ = false;
  bool broken_ = false;
  std::vector<char> in_;  // received, not yet consumed: [in_begin_, in_end_)
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
};

// How to reach the server; constant after OpenSftpStorage.
struct Endpoint {
  std::string display;  // the url, for messages
  std::string host;
  std::string user;  // empty: libssh's choice
  int port = 0;      // 0: libssh's choice
  std::string root;  // absolute, no trailing '/' ("" for "/")
  std::string keyfile;
  std::string passphrase;
  std::string password;
  std::chrono::seconds timeout{60};
  int max_sessions = 8;
};

// "ed25519" for ssh-keyscan -t, from libssh's "ssh-ed25519".
std::string KeyscanType(std::string_view type) {
  if (type.find("ed25519") != std::string_view::npos)
    return "ed25519";
  if (type.find("ecdsa") != std::string_view::npos)
    return "ecdsa";
  if (type.find("rsa") != std::string_view::npos)
    return "rsa";
  return std::string(type);
}

// Checks the server's host key; `session` is connected.
Status CheckHostKey(ssh_session session, const Endpoint& ep, const SftpTuning& tuning) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(session, &key) != SSH_OK)
    return Error(Code::kUnavailable, "{}: no host key from the server", ep.display);
  unsigned char* hash = nullptr;
  size_t hash_size = 0;
  std::string type = ssh_key_type_to_char(ssh_key_type(key));
  std::string fingerprint = "?";
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_size) == 0) {
    char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_size);
    if (text != nullptr) {
      fingerprint = text;
      ssh_string_free_char(text);
    }
    ssh_clean_pubkey_hash(&hash);
  }
  ssh_key_free(key);
  std::string file = tuning.known_hosts.string();
  if (file.empty()) {
    char* known = nullptr;
    if (ssh_options_get(session, SSH_OPTIONS_KNOWNHOSTS, &known) == SSH_OK && known != nullptr) {
      file = known;
      ssh_string_free_char(known);
    } else {
      file = "~/.ssh/known_hosts";
    }
  }
  std::string host =
      ep.port == 0 || ep.port == 22 ? ep.host : fmt::format("[{}]:{}", ep.host, ep.port);
  std::error_code ec;
  fs::path parent = fs::path(file).parent_path();
  std::string make_dir = parent.empty() || fs::is_directory(parent, ec)
                             ? ""
                             : fmt::format("mkdir -p {} && ", parent.string());
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
      return OkStatus();
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      return Error(Code::kPermissionDenied,
                   "{}: HOST KEY CHANGED for {}: the server now shows {} {}, which {} does not "
                   "record; someone may be intercepting the connection. If the change is "
                   "expected, remove the old entry (ssh-keygen -R '{}' -f {}) and trust the new "
                   "key",
                   ep.display, host, type, fingerprint, file, host, file);
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
      return Error(Code::kPermissionDenied,
                   "{}: host {} is not in {} (its {} key is {}); check the fingerprint, then "
                   "trust it with: {}ssh-keyscan{} -t {} {} >> {}",
                   ep.display, host, file, type, fingerprint, make_dir,
                   ep.port == 0 || ep.port == 22 ? "" : fmt::format(" -p {}", ep.port),
                   KeyscanType(type), ep.host, file);
    case SSH_KNOWN_HOSTS_ERROR:
      break;
  }
  return Error(Code::kIo, "{}: cannot check the host key in {}: {}", ep.display, file,
               ssh_get_error(session));
}

Status Authenticate(ssh_session session, const Endpoint& ep) {
  std::vector<std::string> tried;
  int rc = SSH_AUTH_DENIED;
  if (!ep.keyfile.empty()) {
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(ep.keyfile.c_str(),
                                    ep.passphrase.empty() ? nullptr : ep.passphrase.c_str(),
                                    nullptr, nullptr, &key) != SSH_OK) {
      return Error(Code::kInvalid,
                   "{}: cannot read keyfile {} (missing, not a private key, or "
                   "the wrong passphrase)",
                   ep.display, ep.keyfile);
    }
    rc = ssh_userauth_publickey(session, nullptr, key);
    ssh_key_free(key);
    tried.push_back("key " + ep.keyfile);
  } else {
    rc = ssh_userauth_publickey_auto(session, nullptr,
                                     ep.passphrase.empty() ? nullptr : ep.passphrase.c_str());
    tried.emplace_back("ssh-agent and default keys");
  }
  if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR && !ep.password.empty()) {
    rc = ssh_userauth_password(session, nullptr, ep.password.c_str());
    tried.emplace_back("password");
  }
  if (rc == SSH_AUTH_SUCCESS)
    return OkStatus();
  if (rc == SSH_AUTH_ERROR) {
    return Error(Code::kUnavailable, "{}: authentication failed: {}", ep.display,
                 ssh_get_error(session));
  }
  char* user = nullptr;
  std::string login = "?";
  if (ssh_options_get(session, SSH_OPTIONS_USER, &user) == SSH_OK && user != nullptr) {
    login = user;
    ssh_string_free_char(user);
  }
  std::string list;
  for (const std::string& way : tried)
    list += (list.empty() ? "" : ", ") + way;
  return Error(Code::kPermissionDenied, "{}: the server refused login as '{}' (tried {})",
               ep.display, login, list);
}

// Opens, verifies and authenticates one connection with its SFTP channel.
Result<std::unique_ptr<SftpChannel>> Connect(const Endpoint& ep, const SftpTuning& tuning) {
  ssh_session session = ssh_new();
  if (session == nullptr)
    return Error(Code::kInternal, "{}: ssh_new failed", ep.display);
  auto channel = std::make_unique<SftpChannel>(
      session, std::chrono::duration_cast<std::chrono::milliseconds>(ep.timeout));
  ssh_options_set(session, SSH_OPTIONS_HOST, ep.host.c_str());
  if (tuning.read_ssh_config)
    ssh_options_parse_config(session, nullptr);
  int no = 0;
  ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &no);
  if (ep.port != 0) {
    unsigned int port = static_cast<unsigned int>(ep.port);
    ssh_options_set(session, SSH_OPTIONS_PORT, &port);
  }
  if (!ep.user.empty())
    ssh_options_set(session, SSH_OPTIONS_USER, ep.user.c_str());
  long seconds = static_cast<long>(ep.timeout.count());
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &seconds);
  if (!tuning.known_hosts.empty())
    ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, tuning.known_hosts.c_str());
  if (ssh_connect(session) != SSH_OK) {
    return Error(Code::kUnavailable, "{}: cannot connect to {}: {}", ep.display, ep.host,
                 ssh_get_error(session));
  }
  RETURN_IF_ERROR(CheckHostKey(session, ep, tuning));
  RETURN_IF_ERROR(Authenticate(session, ep));
  RETURN_IF_ERROR(channel->Start(ep.display));
  return channel;
}

// Connections for one remote: lent to one thread at a time, opened lazily up
// to `max` at once.
class ChannelPool {
 public:
  ChannelPool(const Endpoint& ep, const SftpTuning& tuning) : ep_(ep), tuning_(tuning) {}

  // Borrows a connection, opening one when none is idle and fewer than
  // max_sessions exist; otherwise waits for one to come back.
  Result<std::unique_ptr<SftpChannel>> Acquire() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < ep_.max_sessions; });
      if (!idle_.empty()) {
        std::unique_ptr<SftpChannel> channel = std::move(idle_.back());
        idle_.pop_back();
        return channel;
      }
      ++open_;  // reserve the slot; connect without the lock
    }
    Result<std::unique_ptr<SftpChannel>> channel = Connect(ep_, tuning_);
    if (!channel.ok())
      Release(nullptr);
    return channel;
  }

  // Returns a borrowed connection; a broken one (or null) is dropped.
  void Release(std::unique_ptr<SftpChannel> channel) {
    if (channel != nullptr && channel->broken())
      channel.reset();  // disconnect outside the lock
    std::lock_guard<std::mutex> lock(mu_);
    if (channel != nullptr)
      idle_.push_back(std::move(channel));
    else
      --open_;
    cv_.notify_one();
  }

 private:
  // Constant after construction.
  const Endpoint& ep_;
  const SftpTuning& tuning_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<SftpChannel>> idle_;  // guarded by mu_
  int open_ = 0;                                    // guarded by mu_; idle and lent
};

class SftpStorage final : public RemoteStorage {
 public:
  SftpStorage(Endpoint ep, SftpTuning tuning)
      : ep_(std::move(ep)), tuning_(std::move(tuning)), pool_(ep_, tuning_) {}

  std::string Describe() const override { return ep_.display; }
  bool CanList() const override { return true; }

  Result<std::vector<RemoteObject>> List(std::string_view prefix) override {
    std::string_view dir =
        prefix.substr(0, prefix.rfind('/') == std::string_view::npos ? 0 : prefix.rfind('/') + 1);
    return WithRetries<std::vector<RemoteObject>>(
        prefix, [&](SftpChannel& c) -> Result<std::vector<RemoteObject>> {
          std::vector<RemoteObject> objects;
          std::string start(dir);
          if (!start.empty() && start.back() == '/')
            start.pop_back();
          // Only the first directory's absence reaches here: a remote
          // nothing was pushed to yet lists as empty.
          Status walked = Walk(c, start, prefix, objects);
          if (!walked.ok() && walked.code() != Code::kNotFound)
            return walked;
          return objects;
        });
  }

  Result<bool> Exists(std::string_view key) override {
    return WithRetries<bool>(key, [&](SftpChannel& c) -> Result<bool> {
      Result<Attributes> attrs = c.Stat(Path(key), Where(key));
      if (!attrs.ok())
        return attrs.status().code() == Code::kNotFound ? Result<bool>(false) : attrs.status();
      return !attrs->has_mode || S_ISREG(attrs->mode);
    });
  }

  Result<FileDigest> Download(std::string_view key, const fs::path& dest,
                              const ByteProgress& progress) override {
    Result<FileDigest> done = WithRetries<FileDigest>(
        key, [&](SftpChannel& c) { return DownloadOnce(c, key, dest, progress); });
    if (!done.ok()) {
      std::error_code ec;
      fs::remove(dest, ec);
    }
    return done;
  }

  Status Upload(const fs::path& source, std::string_view key,
                const ByteProgress& progress) override {
    int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return Error(Code::kIo, "{}: cannot upload {}: {}", Where(key), source.string(),
                   ErrnoMessage());
    FdCloser closer{fd};
    std::string final_path = Path(key);
    size_t slash = final_path.rfind('/');
    std::string temp = final_path.substr(0, slash + 1) + "." + final_path.substr(slash + 1) +
                       ".tmp." + RandomSuffix();
    Result<bool> done = WithRetries<bool>(key, [&](SftpChannel& c) -> Result<bool> {
      Status status = UploadOnce(c, fd, source, key, temp, final_path, progress);
      if (!status.ok() && !c.broken())
        (void)c.CallForStatus(kFxpRemove, {temp}, Where(key));
      RETURN_IF_ERROR(status);
      return true;
    });
    return done.status();
  }

 private:
  std::string Where(std::string_view key) const {
    return key.empty() ? ep_.display : ep_.display + "/" + std::string(key);
  }
  std::string Path(std::string_view key) const {
    return key.empty() ? (ep_.root.empty() ? "/" : ep_.root) : ep_.root + "/" + std::string(key);
  }

  // `status` (about the remote, from connecting) re-worded to name `key`.
  Status ForKey(const Status& status, std::string_view key) const {
    std::string_view message = status.message();
    if (key.empty() || !message.starts_with(ep_.display + ":"))
      return status;
    return Status(status.code(), Where(key) + std::string(message.substr(ep_.display.size())));
  }

  // Runs `op` on a borrowed connection; connection failures and dropped
  // connections (kUnavailable) are retried on a fresh one with backoff.
  template <typename T, typename Op>
  Result<T> WithRetries(std::string_view key, Op&& op) {
    thread_local std::mt19937_64 random(std::random_device{}());
    for (int attempt = 1;; ++attempt) {
      Result<std::unique_ptr<SftpChannel>> channel = pool_.Acquire();
      Result<T> result = channel.ok() ? op(**channel) : Result<T>(ForKey(channel.status(), key));
      if (channel.ok())
        pool_.Release(std::move(*channel));
      if (result.ok() || result.status().code() != Code::kUnavailable)
        return result;
      if (attempt >= tuning_.max_attempts) {
        return Error(Code::kUnavailable, "{} (gave up after {} attempt{})",
                     result.status().message(), attempt, attempt == 1 ? "" : "s");
      }
      double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random);
      std::this_thread::sleep_for(
          S3BackoffDelay(attempt, tuning_.backoff_base, tuning_.backoff_cap, unit));
    }
  }

  // Adds regular files under `dir` (a key prefix without trailing '/') whose
  // keys start with `prefix`.
  Status Walk(SftpChannel& c, const std::string& dir, std::string_view prefix,
              std::vector<RemoteObject>& objects) {
    std::string where = Where(dir);
    ASSIGN_OR_RETURN(std::string handle, c.Open(Path(dir), 0, /*dir=*/true, where));
    std::vector<std::string> subdirs;
    while (true) {
      uint32_t id = c.NextId();
      Packet packet(kFxpReaddir, id);
      packet.Str(handle);
      ASSIGN_OR_RETURN(Reply reply, c.Call(packet, id, where));
      if (reply.type == kFxpStatus) {
        if (StatusCodeOf(reply) == kFxEof)
          break;
        return StatusError(reply, where, kFxpReaddir);
      }
      Reader in{reply.body};
      for (uint32_t n = reply.type == kFxpName ? in.U32() : 0; n > 0 && !in.bad; --n) {
        std::string name(in.Str());
        in.Str();  // ls -l style line
        Attributes attrs = ReadAttributes(in);
        if (name.empty() || name.front() == '.')
          continue;  // ".", "..", transfers in progress
        std::string key = dir;
        if (!key.empty())
          key += '/';
        key += name;
        if (attrs.has_mode && S_ISDIR(attrs.mode)) {
          // Only descend where keys with the prefix can be.
          size_t common = std::min(key.size() + 1, prefix.size());
          if ((key + "/").compare(0, common, prefix.substr(0, common)) == 0)
            subdirs.push_back(std::move(key));
        } else if (key.compare(0, prefix.size(), prefix) == 0 &&
                   (!attrs.has_mode || S_ISREG(attrs.mode))) {
          objects.push_back({std::move(key), attrs.size});
        }
      }
      if (reply.type != kFxpName || in.bad)
        return c.Garbled(where, "a READDIR answer without names");
    }
    RETURN_IF_ERROR(c.Close(handle, where));
    for (const std::string& sub : subdirs) {
      Status status = Walk(c, sub, prefix, objects);
      // A directory removed while listing holds nothing.
      if (!status.ok() && status.code() != Code::kNotFound)
        return status;
    }
    return OkStatus();
  }

  // Creates the directories of `path` (absolute) that are missing, from the
  // root down; another thread creating one at the same time is fine.
  Status MakeParents(SftpChannel& c, const std::string& path, std::string_view where) {
    std::vector<std::string> missing;
    // `path` is absolute, so every step finds a '/' and the root ends it.
    for (std::string dir = path.substr(0, path.rfind('/')); !dir.empty();
         dir.resize(dir.rfind('/'))) {
      Result<Attributes> attrs = c.Stat(dir, where);
      if (attrs.ok())
        break;
      if (attrs.status().code() != Code::kNotFound)
        return attrs.status();
      missing.push_back(dir);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      Status made = c.CallForStatus(kFxpMkdir, {*it}, where);
      if (!made.ok()) {
        // Lost a race? Then the directory is there now.
        Result<Attributes> attrs = c.Stat(*it, where);
        if (!attrs.ok() || !attrs->has_mode || !S_ISDIR(attrs->mode))
          return made;
      }
    }
    return OkStatus();
  }

  Status UploadOnce(SftpChannel& c, int fd, const fs::path& source, std::string_view key,
                    const std::string& temp, const std::string& final_path,
                    const ByteProgress& progress) {
    std::string where = Where(key);
    // The temp name is this upload's own; truncating covers what an attempt
    // that lost its connection left there.
    uint32_t flags = kOpenWrite | kOpenCreate | kOpenTruncate;
    Result<std::string> handle = c.Open(temp, flags, false, where);
    if (!handle.ok() && handle.status().code() == Code::kNotFound) {
      RETURN_IF_ERROR(MakeParents(c, final_path, where));
      handle = c.Open(temp, flags, false, where);
    }
    if (!handle.ok())
      return handle.status();
    // Pipelined writes: up to requests_in_flight unanswered at once.
    std::map<uint32_t, uint64_t> pending;  // id -> bytes
    std::string buffer(tuning_.chunk_size, '\0');
    uint64_t offset = 0;
    uint64_t acked = 0;
    bool eof = false;
    Status failure;
    while (failure.ok() && (!eof || !pending.empty())) {
      while (failure.ok() && !eof &&
             pending.size() < static_cast<size_t>(tuning_.requests_in_flight)) {
        ssize_t n = ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(offset));
        if (n < 0) {
          failure =
              Error(Code::kIo, "{}: cannot read {}: {}", where, source.string(), ErrnoMessage());
          break;
        }
        if (n == 0) {
          eof = true;
          break;
        }
        uint32_t id = c.NextId();
        failure = c.SendWrite(*handle, offset, std::string_view(buffer.data(), n), id, where);
        pending[id] = static_cast<uint64_t>(n);
        offset += static_cast<uint64_t>(n);
      }
      if (!failure.ok() || pending.empty())
        break;
      Result<Reply> reply = c.Receive(where);
      if (!reply.ok())
        return reply.status();
      auto it = pending.find(reply->id);
      if (it == pending.end())
        return c.Garbled(where, fmt::format("a reply to unknown request {}", reply->id));
      if (StatusCodeOf(*reply) != kFxOk)
        failure = reply->type == kFxpStatus ? StatusError(*reply, where, kFxpWrite)
                                            : c.Garbled(where, "a WRITE answer that is no status");
      acked += it->second;
      pending.erase(it);
      if (progress && failure.ok())
        progress(acked);
    }
    if (!failure.ok()) {
      if (!pending.empty())
        c.Abandon();  // answers still on their way; do not reuse
      return failure;
    }
    RETURN_IF_ERROR(c.Close(*handle, where));
    return c.Rename(temp, final_path, where);
  }

  // Writes the object into `dest` (truncated first) and hashes it as the
  // pieces arrive.
  Result<FileDigest> DownloadOnce(SftpChannel& c, std::string_view key, const fs::path& dest,
                                  const ByteProgress& progress) {
    std::string where = Where(key);
    ASSIGN_OR_RETURN(std::string handle, c.Open(Path(key), kOpenRead, false, where));
    int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    FdCloser closer{fd};
    if (fd < 0) {
      Status local =
          Error(Code::kIo, "{}: cannot write {}: {}", where, dest.string(), ErrnoMessage());
      (void)c.Close(handle, where);
      return local;
    }
    struct Want {
      uint64_t offset;
      uint32_t length;
    };
    std::map<uint32_t, Want> pending;
    OrderedMd5 md5;
    uint64_t next = 0;
    uint64_t received = 0;
    bool eof = false;
    Status failure;
    while (failure.ok() && (!eof || !pending.empty())) {
      while (!eof && pending.size() < static_cast<size_t>(tuning_.requests_in_flight)) {
        uint32_t id = c.NextId();
        RETURN_IF_ERROR(c.SendRead(handle, next, tuning_.chunk_size, id, where));
        pending[id] = {next, tuning_.chunk_size};
        next += tuning_.chunk_size;
      }
      ASSIGN_OR_RETURN(Reply reply, c.Receive(where));
      auto it = pending.find(reply.id);
      if (it == pending.end())
        return c.Garbled(where, fmt::format("a reply to unknown request {}", reply.id));
      Want want = it->second;
      pending.erase(it);
      if (reply.type == kFxpStatus) {
        if (StatusCodeOf(reply) == kFxEof) {
          eof = true;  // requests past the end answer EOF too
          continue;
        }
        failure = StatusError(reply, where, kFxpRead);
        break;
      }
      Reader in{reply.body};
      std::string_view data = in.Str();
      if (reply.type != kFxpData || in.bad || data.size() > want.length) {
        failure = c.Garbled(where, "a READ answer without data");
        break;
      }
      if (data.empty()) {
        eof = true;
        continue;
      }
      if (::pwrite(fd, data.data(), data.size(), static_cast<off_t>(want.offset)) !=
          static_cast<ssize_t>(data.size())) {
        failure = Error(Code::kIo, "{}: cannot write {}: {}", where, dest.string(), ErrnoMessage());
        break;
      }
      md5.Add(want.offset, data);
      received += data.size();
      if (progress)
        progress(received);
      if (data.size() < want.length) {
        // A short read: ask for the rest of that range.
        uint32_t id = c.NextId();
        uint64_t offset = want.offset + data.size();
        uint32_t length = want.length - static_cast<uint32_t>(data.size());
        RETURN_IF_ERROR(c.SendRead(handle, offset, length, id, where));
        pending[id] = {offset, length};
      }
    }
    closer.fd = -1;
    if (::close(fd) != 0 && failure.ok())
      failure = Error(Code::kIo, "{}: cannot write {}: {}", where, dest.string(), ErrnoMessage());
    if (!failure.ok()) {
      if (!pending.empty())
        c.Abandon();
      return failure;
    }
    RETURN_IF_ERROR(c.Close(handle, where));
    return md5.Finish(where);
  }

  // Constant after construction.
  const Endpoint ep_;
  const SftpTuning tuning_;
  ChannelPool pool_;
};

Result<int> PositiveOption(const RemoteConfig& remote, const std::string& name, int fallback) {
  auto it = remote.options.find(name);
  if (it == remote.options.end())
    return fallback;
  RETURN_IF_ERROR(ValidateRemoteOption(RemoteType::kSsh, name, it->second)
                      .WithContext(fmt::format("remote '{}'", remote.name)));
  int value = std::stoi(it->second);
  if (value <= 0) {
    return Error(Code::kInvalid, "remote '{}': option '{}' must be at least 1, not '{}'",
                 remote.name, name, it->second);
  }
  return value;
}

}  // namespace

Result<std::unique_ptr<RemoteStorage>> OpenSftpStorage(const RemoteConfig& remote,
                                                       const SftpTuning& tuning) {
  Result<RemoteUrl> url = ParseRemoteUrl(remote.url);
  if (!url.ok())
    return url.status().WithContext(fmt::format("remote '{}'", remote.name));
  if (url->type != RemoteType::kSsh) {
    return Error(Code::kInvalid, "remote '{}': url '{}' is not an ssh:// url", remote.name,
                 RedactUrlPasswords(remote.url));
  }
  if (url->path.empty() || url->path.front() != '/') {
    return Error(Code::kInvalid,
                 "remote '{}': url '{}' needs an absolute path: ssh://[user@]host[:port]/path",
                 remote.name, RedactUrlPasswords(remote.url));
  }
  Endpoint ep;
  // Every message starts with this; a password in the url stays out of it.
  ep.display = RedactUrlPasswords(url->url);
  ep.host = url->host;
  if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']')
    ep.host = ep.host.substr(1, ep.host.size() - 2);  // [::1]
  ep.user = url->user;
  ep.port = url->port;
  ep.root = url->path;
  while (!ep.root.empty() && ep.root.back() == '/')
    ep.root.pop_back();
  auto option = [&](const char* name) {
    auto it = remote.options.find(name);
    return it == remote.options.end() ? std::string() : it->second;
  };
  if (!option("user").empty())
    ep.user = option("user");
  ASSIGN_OR_RETURN(ep.port, PositiveOption(remote, "port", ep.port));
  ASSIGN_OR_RETURN(int timeout,
                   PositiveOption(remote, "timeout", static_cast<int>(tuning.timeout.count())));
  ep.timeout = std::chrono::seconds(timeout);
  ASSIGN_OR_RETURN(ep.max_sessions, PositiveOption(remote, "max_sessions", tuning.max_sessions));
  ep.keyfile = option("keyfile");
  const char* home = std::getenv("HOME");
  if (ep.keyfile.starts_with("~/") && home != nullptr)
    ep.keyfile = std::string(home) + ep.keyfile.substr(1);
  if (!ep.keyfile.empty() && fs::path(ep.keyfile).is_relative())
    ep.keyfile = (remote.base_dir / ep.keyfile).lexically_normal().string();
  ep.passphrase = option("passphrase");
  // The password option wins over a password in the url.
  ep.password = option("password").empty() ? url->password : option("password");
  return std::unique_ptr<RemoteStorage>(new SftpStorage(std::move(ep), tuning));
}

}  // namespace conveyor
