#include "common/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "common/md5.h"

namespace conveyor {

namespace {

// Fails only on allocation failure or a broken OpenSSL install; neither is
// recoverable (as for MD5 in md5.cc).
void Check(int ok) {
  if (ok != 1)
    std::abort();
}

// One fetched SHA-256 implementation and one context per thread, reused:
// EVP_Digest would fetch the algorithm and allocate a context on every
// call, and the server hashes a bearer token per request.
class ThreadDigest {
 public:
  ThreadDigest() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr)
      std::abort();
  }
  ~ThreadDigest() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  ThreadDigest(const ThreadDigest&) = delete;
  ThreadDigest& operator=(const ThreadDigest&) = delete;

  Sha256Digest Digest(std::string_view data) {
    Sha256Digest digest{};
    unsigned int size = 0;
    Check(EVP_DigestInit_ex2(ctx_, md_, nullptr));
    Check(EVP_DigestUpdate(ctx_, data.data(), data.size()));
    Check(EVP_DigestFinal_ex(ctx_, digest.data(), &size));
    if (size != kSha256Size)
      std::abort();
    return digest;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  thread_local ThreadDigest digest;
  return digest.Digest(data);
}

std::string Sha256Hex(std::string_view data) {
  Sha256Digest digest = Sha256(data);
  return ToHex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace conveyor
