#include "common/md5.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <vector>

#include "common/file_util.h"

namespace conveyor {

struct Md5::Context {
  EVP_MD_CTX* ctx = nullptr;
};

namespace {

// EVP can only fail here on allocation failure or a broken OpenSSL install;
// neither is recoverable, and MD5 must be available for conveyor to work.
void InitOrDie(EVP_MD_CTX* ctx) {
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) != 1) {
    std::abort();
  }
}

constexpr size_t kMaxBuffer = size_t{1} << 20;
constexpr size_t kMinBuffer = size_t{1} << 12;

}  // namespace

Md5::Md5() : ctx_(std::make_unique<Context>()) {
  ctx_->ctx = EVP_MD_CTX_new();
  InitOrDie(ctx_->ctx);
}

Md5::~Md5() {
  if (ctx_ != nullptr)
    EVP_MD_CTX_free(ctx_->ctx);
}

Md5::Md5(Md5&& other) noexcept = default;

Md5& Md5::operator=(Md5&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr)
      EVP_MD_CTX_free(ctx_->ctx);
    ctx_ = std::move(other.ctx_);
  }
  return *this;
}

void Md5::Update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_->ctx, data.data(), data.size()) != 1)
    std::abort();
}

std::array<uint8_t, 16> Md5::Digest() {
  std::array<uint8_t, 16> out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->ctx, out.data(), &len) != 1 || len != out.size())
    std::abort();
  InitOrDie(ctx_->ctx);
  return out;
}

std::string Md5::HexDigest() {
  std::array<uint8_t, 16> digest = Digest();
  return ToHex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

std::string Md5Hex(std::string_view data) {
  Md5 md5;
  md5.Update(data);
  return md5.HexDigest();
}

Result<FileDigest> Md5File(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error(Code::kIo, "cannot read {}: {}", path.string(), ErrnoMessage());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status status = Error(Code::kIo, "cannot stat {}: {}", path.string(), ErrnoMessage());
    ::close(fd);
    return status;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(Code::kInvalid, "cannot hash {}: not a regular file", path.string());
  }
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // Small files (the common case in datasets) get a small buffer.
  size_t buffer_size = std::clamp(static_cast<size_t>(st.st_size) + 1, kMinBuffer, kMaxBuffer);
  std::vector<char> buffer(buffer_size);
  Md5 md5;
  uint64_t total = 0;
  Status status = ReadChunks(fd, path, buffer, [&](std::string_view chunk) {
    md5.Update(chunk);
    total += chunk.size();
  });
  ::close(fd);
  if (!status.ok())
    return status;
  return FileDigest{md5.HexDigest(), total};
}

}  // namespace conveyor
