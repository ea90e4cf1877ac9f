#include "remote/s3_storage.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "common/md5.h"
#include "common/redact.h"
#include "remote/remote_options.h"
#include "remote/s3_xml.h"
#include "remote/sigv4.h"

namespace conveyor {

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// libcurl's buffers: bigger than its defaults (16 KiB receive, 64 KiB send)
// so a large object moves in fewer, larger system calls.
constexpr long kDownloadBufferSize = 512L << 10;
constexpr long kUploadBufferSize = 1L << 20;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One easy handle per thread, reset before each request; its connection
// cache survives the reset, so a thread reuses its connections.
CURL* ThreadHandle() {
  struct Holder {
    CURL* handle = nullptr;
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    Holder() = default;
    ~Holder() {
      if (handle != nullptr) {
        curl_easy_cleanup(handle);
      }
    }
  };
  thread_local Holder holder;
  if (holder.handle == nullptr) {
    holder.handle = curl_easy_init();
  } else {
    curl_easy_reset(holder.handle);
  }
  return holder.handle;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsFalse(const std::map<std::string, std::string>& options, const std::string& name) {
  auto it = options.find(name);
  return it != options.end() && Lower(it->second) == "false";
}

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }
  // Closes now; false (errno set) when close reports a failure.
  bool Close() {
    int fd = std::exchange(fd_, -1);
    return fd < 0 || ::close(fd) == 0;
  }

 private:
  int fd_;
};

// Reads exactly `length` bytes at `offset`; "" or the reason it could not.
std::string PreadAll(int fd, char* data, size_t length, uint64_t offset) {
  while (length > 0) {
    ssize_t got = ::pread(fd, data, length, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return got == 0 ? "file shrank while reading" : ErrnoMessage();
    }
    data += got;
    length -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return "";
}

// Hex of a finished digest.
std::string DigestHex(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, digest, &size);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

// Hex SHA-256 of `length` bytes of `path` from `offset`, read through one
// buffer per thread (no allocation per call).
Result<std::string> Sha256OfFileRange(const std::filesystem::path& path, uint64_t offset,
                                      uint64_t length) {
  constexpr size_t kBufferSize = size_t{1} << 20;
  thread_local std::unique_ptr<char[]> buffer(new char[kBufferSize]);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return Error(Code::kIo, "cannot open {}: {}", path.string(), ErrnoMessage());
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  while (length > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length, kBufferSize));
    std::string why = PreadAll(fd.get(), buffer.get(), want, offset);
    if (!why.empty()) {
      return Error(Code::kIo, "cannot read {}: {}", path.string(), why);
    }
    EVP_DigestUpdate(ctx.get(), buffer.get(), want);
    offset += want;
    length -= want;
  }
  return DigestHex(ctx.get());
}

// The whole of `path`, expected to be `size` bytes.
Result<std::string> ReadWholeFile(const std::filesystem::path& path, uint64_t size) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return Error(Code::kIo, "cannot open {}: {}", path.string(), ErrnoMessage());
  }
  std::string data(static_cast<size_t>(size), '\0');
  std::string why = PreadAll(fd.get(), data.data(), data.size(), 0);
  if (!why.empty()) {
    return Error(Code::kIo, "cannot read {}: {}", path.string(), why);
  }
  return data;
}

// One request as the backend describes it.
struct Call {
  std::string method = "GET";
  std::string key;     // relative key, for messages ("" for bucket-level calls)
  std::string object;  // full object name ("" for bucket-level calls)
  Headers query;
  Headers headers;  // besides Host; all signed
  // Body: `body` (POST, or PUT without `upload_file`), or a range of
  // `upload_file` (PUT).
  std::string body;
  const std::filesystem::path* upload_file = nullptr;
  uint64_t upload_offset = 0;
  uint64_t upload_length = 0;
  std::string payload_hash;  // empty: hash of `body`
  // Where a 2xx body goes: `download_file` when set, else Reply::body.
  const std::filesystem::path* download_file = nullptr;
  // When set, gets the md5 and size of what the last attempt wrote to
  // `download_file` (each attempt starts the file, and the hash, over).
  FileDigest* download_digest = nullptr;
  // Progress of this request's bytes, added to `progress_base`.
  const ByteProgress* progress = nullptr;
  uint64_t progress_base = 0;
};

struct Reply {
  long status = 0;
  std::string body;  // error bodies always; 2xx bodies unless downloading
  std::string etag;
};

// State the libcurl callbacks share during one attempt.
struct Transfer {
  CURL* handle = nullptr;
  const Call* call = nullptr;
  Reply* reply = nullptr;
  int in = -1;  // upload_file, read at in_offset; -1: the body is call->body
  uint64_t in_offset = 0;
  uint64_t in_left = 0;
  int out = -1;  // download_file
  Md5 written_md5;
  uint64_t written = 0;
  std::string local_error;  // a local read/write failure, with the path
};

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  long status = 0;
  curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
  if (t->out >= 0 && status >= 200 && status < 300) {
    for (size_t done = 0; done < bytes;) {
      ssize_t wrote = ::write(t->out, data + done, bytes - done);
      if (wrote < 0 && errno == EINTR) {
        continue;
      }
      if (wrote <= 0) {
        t->local_error =
            fmt::format("cannot write {}: {}", t->call->download_file->string(), ErrnoMessage());
        return 0;
      }
      done += static_cast<size_t>(wrote);
    }
    t->written_md5.Update(std::string_view(data, bytes));
    t->written += bytes;
    return bytes;
  }
  t->reply->body.append(data, bytes);
  return bytes;
}

size_t OnRead(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t want = static_cast<size_t>(std::min<uint64_t>(size * count, t->in_left));
  if (want == 0) {
    return 0;
  }
  if (t->in < 0) {
    const std::string& body = t->call->body;
    std::memcpy(data, body.data() + (body.size() - t->in_left), want);
    t->in_left -= want;
    return want;
  }
  std::string why = PreadAll(t->in, data, want, t->in_offset);
  if (!why.empty()) {
    t->local_error = fmt::format("cannot read {}: {}", t->call->upload_file->string(), why);
    return CURL_READFUNC_ABORT;
  }
  t->in_offset += want;
  t->in_left -= want;
  return want;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos && Lower(line.substr(0, colon)) == "etag") {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    t->reply->etag = std::string(value);
  }
  return size * count;
}

int OnProgress(void* user, curl_off_t /*dltotal*/, curl_off_t dlnow, curl_off_t /*ultotal*/,
               curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  const Call& call = *t->call;
  if (call.progress != nullptr && *call.progress) {
    uint64_t now = static_cast<uint64_t>(call.method == "PUT" ? ulnow : dlnow);
    (*call.progress)(call.progress_base + now);
  }
  return 0;
}

bool IsAccessDenied(long status, std::string_view code) {
  return status == 403 || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
         code == "AccessDenied" || code == "ExpiredToken" || code == "InvalidToken";
}

class S3Storage final : public RemoteStorage {
 public:
  S3Storage(std::string bucket, std::string prefix, std::string scheme, std::string host,
            bool path_style, bool ssl_verify, S3Identity identity, S3Tuning tuning)
      : bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        scheme_(std::move(scheme)),
        host_(std::move(host)),
        path_style_(path_style),
        ssl_verify_(ssl_verify),
        identity_(std::move(identity)),
        tuning_(std::move(tuning)) {}

  std::string Describe() const override {
    return prefix_.empty() ? "s3://" + bucket_ : "s3://" + bucket_ + "/" + prefix_;
  }

  bool CanList() const override { return true; }

  Result<std::vector<RemoteObject>> List(std::string_view prefix) override {
    std::vector<RemoteObject> objects;
    std::string root = prefix_.empty() ? "" : prefix_ + "/";
    std::string token;
    while (true) {
      Call call;
      call.query = {{"list-type", "2"},
                    {"prefix", root + std::string(prefix)},
                    {"max-keys", std::to_string(tuning_.list_page_size)}};
      if (!token.empty()) {
        call.query.emplace_back("continuation-token", token);
      }
      ASSIGN_OR_RETURN(Reply reply, Execute(call));
      if (reply.status != 200) {
        return Failure(call, reply);
      }
      std::optional<S3ListPage> page = ParseListObjectsV2(reply.body);
      if (!page) {
        return Error(Code::kInvalid, "{}: listing '{}': the server's answer is not a listing",
                     Describe(), prefix);
      }
      for (S3ListPage::Entry& entry : page->entries) {
        if (entry.key.compare(0, root.size(), root) != 0) {
          continue;
        }
        objects.push_back({entry.key.substr(root.size()), entry.size});
      }
      if (!page->truncated) {
        break;
      }
      if (page->next_token.empty() || page->next_token == token) {
        return Error(Code::kInvalid, "{}: listing '{}': truncated page without a new token",
                     Describe(), prefix);
      }
      token = page->next_token;
    }
    return objects;
  }

  Result<bool> Exists(std::string_view key) override {
    Call call = ObjectCall("HEAD", key);
    ASSIGN_OR_RETURN(Reply reply, Execute(call));
    if (reply.status == 200) {
      return true;
    }
    if (reply.status == 404) {
      // A HEAD has no body to tell a missing key from a missing bucket.
      return false;
    }
    return Failure(call, reply);
  }

  Result<FileDigest> Download(std::string_view key, const std::filesystem::path& dest,
                              const ByteProgress& progress) override {
    FileDigest digest;
    Call call = ObjectCall("GET", key);
    call.download_file = &dest;
    call.download_digest = &digest;
    call.progress = &progress;
    Result<Reply> reply = Execute(call);
    Status status = !reply.ok()                ? reply.status()
                    : reply->status / 100 != 2 ? Failure(call, *reply)
                                               : OkStatus();
    if (!status.ok()) {
      std::error_code ec;
      std::filesystem::remove(dest, ec);
      return status;
    }
    return digest;
  }

  Status Upload(const std::filesystem::path& source, std::string_view key,
                const ByteProgress& progress) override {
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(source, ec);
    if (ec) {
      return Error(Code::kIo, "{}: cannot upload {}: {}", Where(key), source.string(),
                   ec.message());
    }
    if (size >= tuning_.multipart_threshold && size > tuning_.part_size) {
      return UploadMultipart(source, size, key, progress);
    }
    Call call = ObjectCall("PUT", key);
    if (size <= tuning_.in_memory_upload_limit) {
      // One read of the file serves both the signature's hash and the body.
      ASSIGN_OR_RETURN(call.body, ReadWholeFile(source, size));
      call.payload_hash = Sha256Hex(call.body);
    } else {
      RETURN_IF_ERROR(SetFileBody(call, source, 0, size));
    }
    call.progress = &progress;
    ASSIGN_OR_RETURN(Reply reply, Execute(call));
    if (reply.status / 100 != 2) {
      return Failure(call, reply);
    }
    return OkStatus();
  }

 private:
  std::string Where(std::string_view key) const {
    return key.empty() ? Describe() : Describe() + "/" + std::string(key);
  }

  std::string Endpoint() const { return scheme_ + "://" + host_; }

  // `text` without the keys this storage signs with.
  std::string WithoutSecrets(std::string text) const {
    const AwsCredentials& keys = identity_.credentials;
    return RedactSecrets(std::move(text),
                         {keys.access_key_id, keys.secret_access_key, keys.session_token});
  }

  Call ObjectCall(std::string method, std::string_view key) const {
    Call call;
    call.method = std::move(method);
    call.key = std::string(key);
    call.object = prefix_.empty() ? call.key : prefix_ + "/" + call.key;
    return call;
  }

  static Status SetFileBody(Call& call, const std::filesystem::path& source, uint64_t offset,
                            uint64_t length) {
    ASSIGN_OR_RETURN(call.payload_hash, Sha256OfFileRange(source, offset, length));
    call.upload_file = &source;
    call.upload_offset = offset;
    call.upload_length = length;
    return OkStatus();
  }

  Status UploadMultipart(const std::filesystem::path& source, uint64_t size, std::string_view key,
                         const ByteProgress& progress) {
    Call create = ObjectCall("POST", key);
    create.query = {{"uploads", ""}};
    ASSIGN_OR_RETURN(Reply created, Execute(create));
    if (created.status != 200) {
      return Failure(create, created);
    }
    std::optional<std::string> upload_id = XmlText(created.body, "UploadId");
    if (!upload_id || upload_id->empty()) {
      return Error(Code::kInvalid, "{}: starting a multipart upload: no UploadId in the answer",
                   Where(key));
    }
    Status status = UploadParts(source, size, key, *upload_id, progress);
    if (!status.ok()) {
      // Best effort: a leftover upload is invisible, only billed.
      Call abort = ObjectCall("DELETE", key);
      abort.query = {{"uploadId", *upload_id}};
      (void)Execute(abort);
    }
    return status;
  }

  // Uploads the parts, up to S3Tuning::part_jobs at once (each on its own
  // thread, so each with its own connection), then completes the upload.
  // After the first failed part no new part starts.
  Status UploadParts(const std::filesystem::path& source, uint64_t size, std::string_view key,
                     const std::string& upload_id, const ByteProgress& progress) {
    const size_t parts = static_cast<size_t>((size + tuning_.part_size - 1) / tuning_.part_size);
    std::vector<std::string> etags(parts);
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mu;
    Status first_error;                 // guarded by mu
    std::vector<uint64_t> sent(parts);  // guarded by mu: each part's bytes so far
    uint64_t sent_total = 0;            // guarded by mu
    uint64_t reported = 0;              // guarded by mu: never decreases
    // Progress over all parts, serialised; a retried part restarting from 0
    // does not move the reported figure back.
    auto part_progress = [&](size_t index, uint64_t bytes) {
      std::lock_guard<std::mutex> lock(mu);
      sent_total = sent_total - sent[index] + bytes;
      sent[index] = bytes;
      if (sent_total > reported) {
        reported = sent_total;
        progress(reported);
      }
    };
    auto worker = [&] {
      for (size_t index = next++; index < parts && !failed; index = next++) {
        uint64_t offset = index * tuning_.part_size;
        Status status = UploadPart(
            source, offset, std::min(tuning_.part_size, size - offset), key, upload_id, index,
            etags[index], progress ? part_progress : std::function<void(size_t, uint64_t)>());
        if (!status.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (!failed.exchange(true)) {
            first_error = std::move(status);
          }
        }
      }
    };
    size_t threads = std::min<size_t>(parts, static_cast<size_t>(std::max(1, tuning_.part_jobs)));
    std::vector<std::thread> helpers;
    helpers.reserve(threads - 1);
    for (size_t i = 1; i < threads; ++i) {
      helpers.emplace_back(worker);
    }
    worker();
    for (std::thread& helper : helpers) {
      helper.join();
    }
    if (failed) {
      return first_error;
    }

    std::string complete = "<CompleteMultipartUpload>";
    for (size_t index = 0; index < parts; ++index) {
      complete += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", index + 1,
                              XmlEscape(etags[index]));
    }
    complete += "</CompleteMultipartUpload>";
    Call finish = ObjectCall("POST", key);
    finish.query = {{"uploadId", upload_id}};
    finish.body = std::move(complete);
    ASSIGN_OR_RETURN(Reply reply, Execute(finish));
    // S3 may answer 200 and put an error in the body.
    if (reply.status != 200 || !XmlElements(reply.body, "Error").empty()) {
      return Failure(finish, reply);
    }
    return OkStatus();
  }

  // Uploads part `index` (part number index + 1) and stores its ETag.
  Status UploadPart(const std::filesystem::path& source, uint64_t offset, uint64_t length,
                    std::string_view key, const std::string& upload_id, size_t index,
                    std::string& etag, const std::function<void(size_t, uint64_t)>& part_progress) {
    Call part = ObjectCall("PUT", key);
    part.query = {{"partNumber", std::to_string(index + 1)}, {"uploadId", upload_id}};
    RETURN_IF_ERROR(SetFileBody(part, source, offset, length));
    ByteProgress progress;
    if (part_progress) {
      progress = [&](uint64_t bytes) { part_progress(index, bytes); };
    }
    part.progress = &progress;
    ASSIGN_OR_RETURN(Reply reply, Execute(part));
    if (reply.status != 200) {
      return Failure(part, reply);
    }
    if (reply.etag.empty()) {
      return Error(Code::kInvalid, "{}: part {} of a multipart upload: no ETag in the answer",
                   Where(key), index + 1);
    }
    etag = std::move(reply.etag);
    return OkStatus();
  }

  // The error for a final non-2xx reply.
  Status Failure(const Call& call, const Reply& reply) const {
    // The server's words are quoted; a server may echo what it was sent.
    std::string code = WithoutSecrets(XmlText(reply.body, "Code").value_or(""));
    std::string message = WithoutSecrets(XmlText(reply.body, "Message").value_or(""));
    std::string cause = code.empty()      ? fmt::format("HTTP {}", reply.status)
                        : message.empty() ? code
                                          : fmt::format("{}: {}", code, message);
    std::string where = Where(call.key);
    if (IsAccessDenied(reply.status, code)) {
      return Error(Code::kPermissionDenied,
                   "{}: access denied ({}): check the credentials (from {})", where,
                   code.empty() ? fmt::format("HTTP {}", reply.status) : code, identity_.source);
    }
    if (code == "NoSuchBucket") {
      return Error(Code::kNotFound, "{}: no such bucket '{}' at {}", where, bucket_, Endpoint());
    }
    if (reply.status == 404 || code == "NoSuchKey") {
      return Error(Code::kNotFound, "{}: no such object", where);
    }
    if (IsRetryableS3Failure(0, reply.status, code)) {
      return Error(Code::kUnavailable, "{}: {} failed with {} after {} attempts", where,
                   call.method, cause, tuning_.max_attempts);
    }
    return Error(Code::kInvalid, "{}: {} refused ({})", where, call.method, cause);
  }

  // Sends `call`, retrying transient failures. Returns the last reply (any
  // status) or an error when no reply came (or a local file failed).
  Result<Reply> Execute(const Call& call) const {
    thread_local std::mt19937_64 random(std::random_device{}());
    for (int attempt = 1;; ++attempt) {
      Reply reply;
      std::string curl_error;
      std::string local_error;
      CURLcode code = Attempt(call, reply, curl_error, local_error);
      if (!local_error.empty()) {
        return Error(Code::kIo, "{}: {}", Where(call.key), local_error);
      }
      std::string s3_code;
      if (code == CURLE_OK && reply.status / 100 != 2) {
        s3_code = XmlText(reply.body, "Code").value_or("");
      }
      bool retry = IsRetryableS3Failure(code, reply.status, s3_code);
      if (!retry || attempt >= tuning_.max_attempts) {
        if (code != CURLE_OK) {
          return Error(Code::kUnavailable, "{}: cannot reach {} ({}) after {} attempt{}",
                       Where(call.key), Endpoint(), WithoutSecrets(curl_error), attempt,
                       attempt == 1 ? "" : "s");
        }
        return reply;
      }
      double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random);
      std::this_thread::sleep_for(
          S3BackoffDelay(attempt, tuning_.backoff_base, tuning_.backoff_cap, unit));
    }
  }

  // One try. Fills `reply`; a libcurl failure's text goes to `curl_error`,
  // a local file failure's to `local_error`.
  CURLcode Attempt(const Call& call, Reply& reply, std::string& curl_error,
                   std::string& local_error) const {
    SignableRequest request;
    request.method = call.method;
    request.path = path_style_ ? "/" + bucket_ + (call.object.empty() ? "" : "/" + call.object)
                               : "/" + call.object;
    request.query = call.query;
    request.headers = {{"Host", host_}};
    request.headers.insert(request.headers.end(), call.headers.begin(), call.headers.end());
    request.payload_hash = call.payload_hash.empty() ? Sha256Hex(call.body) : call.payload_hash;

    Headers wire = request.headers;
    std::string url;
    if (identity_.credentials.access_key_id.empty()) {
      // Anonymous: unsigned, the path and query encoded as the signer would.
      url = Endpoint() + AwsUriEncode(request.path, true);
      std::string query;
      std::vector<std::pair<std::string, std::string>> sorted = call.query;
      std::sort(sorted.begin(), sorted.end());
      for (const auto& [name, value] : sorted) {
        query += (query.empty() ? "" : "&") + AwsUriEncode(name, false) + "=" +
                 AwsUriEncode(value, false);
      }
      if (!query.empty()) {
        url += "?" + query;
      }
    } else {
      SigningScope scope{identity_.region, "s3", std::chrono::system_clock::now()};
      Result<SignedRequest> signed_request =
          SignRequest(request, identity_.credentials, scope, SigningOptions::ForS3());
      if (!signed_request.ok()) {
        curl_error = signed_request.status().message();
        return CURLE_BAD_FUNCTION_ARGUMENT;
      }
      url = Endpoint() + signed_request->path +
            (signed_request->query.empty() ? "" : "?" + signed_request->query);
      wire.insert(wire.end(), signed_request->headers_to_add.begin(),
                  signed_request->headers_to_add.end());
    }

    CURL* handle = ThreadHandle();
    if (handle == nullptr) {
      curl_error = "curl_easy_init failed";
      return CURLE_FAILED_INIT;
    }
    Transfer transfer;
    transfer.handle = handle;
    transfer.call = &call;
    transfer.reply = &reply;

    curl_slist* list = nullptr;
    for (const auto& [name, value] : wire) {
      list = curl_slist_append(list, fmt::format("{}: {}", name, value).c_str());
    }
    list = curl_slist_append(list, "Expect:");
    char error_buffer[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, static_cast<long>(ConnectTimeout()));
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, static_cast<long>(ReadTimeout()));
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, OnWrite);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);
    if (call.progress != nullptr && *call.progress) {
      curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, OnProgress);
      curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &transfer);
      curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    }
    if (!ssl_verify_) {
      curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (call.method == "HEAD") {
      curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
    } else if (call.method == "PUT") {
      uint64_t length = call.upload_file != nullptr ? call.upload_length : call.body.size();
      curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(handle, CURLOPT_READFUNCTION, OnRead);
      curl_easy_setopt(handle, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
      curl_easy_setopt(handle, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferSize);
      transfer.in_left = length;
    } else if (call.method == "POST") {
      curl_easy_setopt(handle, CURLOPT_POST, 1L);
      curl_easy_setopt(handle, CURLOPT_POSTFIELDS, call.body.c_str());
      curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(call.body.size()));
    } else if (call.method != "GET") {
      curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    }
    if (call.download_file != nullptr) {
      curl_easy_setopt(handle, CURLOPT_BUFFERSIZE, kDownloadBufferSize);
    }

    CURLcode code = CURLE_OK;
    Fd in(call.upload_file != nullptr ? ::open(call.upload_file->c_str(), O_RDONLY | O_CLOEXEC)
                                      : -1);
    if (call.upload_file != nullptr && in.get() < 0) {
      local_error = fmt::format("cannot read {}: {}", call.upload_file->string(), ErrnoMessage());
    }
    transfer.in = in.get();
    transfer.in_offset = call.upload_offset;
    bool write_file = local_error.empty() && call.download_file != nullptr;
    Fd out(write_file
               ? ::open(call.download_file->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)
               : -1);
    if (write_file && out.get() < 0) {
      local_error =
          fmt::format("cannot write {}: {}", call.download_file->string(), ErrnoMessage());
    }
    transfer.out = out.get();
    if (local_error.empty()) {
      code = curl_easy_perform(handle);
      curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply.status);
    }
    if (!out.Close() && transfer.local_error.empty() && code == CURLE_OK) {
      transfer.local_error =
          fmt::format("cannot write {}: {}", call.download_file->string(), ErrnoMessage());
    }
    if (write_file && call.download_digest != nullptr) {
      *call.download_digest = {transfer.written_md5.HexDigest(), transfer.written};
    }
    curl_slist_free_all(list);
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);
    if (!transfer.local_error.empty()) {
      local_error = transfer.local_error;
    }
    if (code != CURLE_OK) {
      curl_error = error_buffer[0] != '\0' ? std::string(error_buffer) : curl_easy_strerror(code);
    }
    return code;
  }

  long ConnectTimeout() const { return static_cast<long>(tuning_.connect_timeout.count()); }
  long ReadTimeout() const { return static_cast<long>(tuning_.read_timeout.count()); }

  // Constant after construction.
  const std::string bucket_;
  const std::string prefix_;  // no leading or trailing '/'
  const std::string scheme_;  // "http" or "https"
  const std::string host_;    // Host header: "127.0.0.1:9000", "b.s3.us-east-1.amazonaws.com"
  const bool path_style_;
  const bool ssl_verify_;
  const S3Identity identity_;
  const S3Tuning tuning_;
};

}  // namespace

bool IsRetryableS3Failure(int curl_code, long http_status, std::string_view s3_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_OK:
      break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
  return http_status >= 500 || http_status == 429 || s3_code == "SlowDown" ||
         s3_code == "RequestTimeout" || s3_code == "InternalError" ||
         s3_code == "ServiceUnavailable" || s3_code == "Throttling";
}

std::chrono::milliseconds S3BackoffDelay(int retry, std::chrono::milliseconds base,
                                         std::chrono::milliseconds cap, double unit) {
  double ceiling = static_cast<double>(base.count());
  for (int i = 1; i < retry && ceiling < static_cast<double>(cap.count()); ++i) {
    ceiling *= 2;
  }
  ceiling = std::min(ceiling, static_cast<double>(cap.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(ceiling * std::clamp(unit, 0.0, 1.0)));
}

Result<std::unique_ptr<RemoteStorage>> OpenS3Storage(const RemoteConfig& remote,
                                                     const S3Tuning& tuning) {
  GlobalInitOnce();
  std::string_view url = remote.url;
  if (url.substr(0, 5) != "s3://") {
    return Error(Code::kInvalid, "remote '{}': url '{}' is not an s3:// url", remote.name,
                 RedactUrlPasswords(url));
  }
  url.remove_prefix(5);
  size_t slash = url.find('/');
  std::string bucket(url.substr(0, slash));
  std::string prefix(slash == std::string_view::npos ? "" : url.substr(slash + 1));
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.pop_back();
  }
  while (!prefix.empty() && prefix.front() == '/') {
    prefix.erase(0, 1);
  }
  if (bucket.empty()) {
    return Error(Code::kInvalid, "remote '{}': url '{}' names no bucket", remote.name,
                 RedactUrlPasswords(remote.url));
  }
  // Keys written into the url by hand (`remote add` refuses them).
  if (UrlUserinfoEnd(url) != std::string_view::npos)
    return Error(Code::kInvalid, "remote '{}': {}", remote.name, kS3UrlWithCredentials);
  S3Tuning copy = tuning;
  for (auto [name, target] : {std::pair{"connect_timeout", &copy.connect_timeout},
                              std::pair{"read_timeout", &copy.read_timeout}}) {
    auto it = remote.options.find(name);
    if (it == remote.options.end()) {
      continue;
    }
    char* end = nullptr;
    long seconds = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || seconds <= 0) {
      return Error(Code::kInvalid, "remote '{}': {} must be a positive number of seconds, not '{}'",
                   remote.name, name, it->second);
    }
    *target = std::chrono::seconds(seconds);
  }
  ASSIGN_OR_RETURN(S3Identity identity, ResolveS3Identity(remote.options, copy.env));

  std::string scheme = IsFalse(remote.options, "use_ssl") ? "http" : "https";
  std::string host;
  bool path_style = false;
  auto endpoint = remote.options.find("endpointurl");
  if (endpoint != remote.options.end() && !endpoint->second.empty()) {
    std::string_view rest = endpoint->second;
    size_t sep = rest.find("://");
    if (sep != std::string_view::npos) {
      scheme = Lower(rest.substr(0, sep));
      rest.remove_prefix(sep + 3);
    }
    host = std::string(rest.substr(0, rest.find('/')));
    if (host.empty() || (scheme != "http" && scheme != "https")) {
      return Error(Code::kInvalid, "remote '{}': endpointurl '{}' is not an http(s) URL",
                   remote.name, RedactUrlPasswords(endpoint->second));
    }
    if (host.find('@') != std::string::npos) {
      // It would be sent as the Host and printed with every error.
      return Error(Code::kInvalid,
                   "remote '{}': endpointurl '{}' names a user; S3 takes its keys from "
                   "access_key_id and secret_access_key (or the environment), not the URL",
                   remote.name, RedactUrlPasswords(endpoint->second));
    }
    path_style = true;
  } else {
    host = fmt::format("{}.s3.{}.amazonaws.com", bucket, identity.region);
  }
  return std::unique_ptr<RemoteStorage>(new S3Storage(
      std::move(bucket), std::move(prefix), std::move(scheme), std::move(host), path_style,
      !IsFalse(remote.options, "ssl_verify"), std::move(identity), std::move(copy)));
}

}  // namespace conveyor
