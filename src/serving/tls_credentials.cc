#include "serving/tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <ctime>
#include <string_view>
#include <vector>

#include "common/file_util.h"

namespace conveyor::serving {

namespace fs = std::filesystem;
namespace ssl = boost::asio::ssl;

namespace {

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr MemoryBio(const std::string& data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// The server certificate and its intermediates, at most.
constexpr size_t kMaxChain = 16;

// Never prompts for a passphrase: an encrypted key fails to load instead.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

std::string AsnTime(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1)
    return "an unreadable date";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

std::string CommonName(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0)
    return "(no CN)";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0)
    return "(unreadable CN)";
  std::string name(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return name;
}

std::string Serial(X509* cert) {
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (number == nullptr)
    return "?";
  char* hex = BN_bn2hex(number);
  std::string text = hex != nullptr ? hex : "?";
  OPENSSL_free(hex);
  BN_free(number);
  return text;
}

// Chooses "http/1.1" when the client offers it; otherwise no ALPN (the
// client then speaks HTTP/1.1 anyway, or gives up).
int SelectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
               const unsigned char* in, unsigned int inlen, void* /*arg*/) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

struct TlsCredentials::Loaded {
  std::shared_ptr<ssl::context> context;
  std::string description;
};

Result<TlsCredentials::Loaded> TlsCredentials::Read(const TlsPaths& paths) {
  const std::string cert_name = paths.certificate.string();
  const std::string key_name = paths.key.string();
  ASSIGN_OR_RETURN(std::string cert_pem, ReadFileToString(paths.certificate));
  ASSIGN_OR_RETURN(std::string key_pem, ReadFileToString(paths.key));
  ERR_clear_error();

  BioPtr cert_bio = MemoryBio(cert_pem);
  X509Ptr leaf(PEM_read_bio_X509_AUX(cert_bio.get(), nullptr, NoPassphrase, nullptr));
  if (leaf == nullptr) {
    ERR_clear_error();
    return Error(Code::kInvalid,
                 "TLS certificate {}: no PEM certificate in it (expected a '-----BEGIN "
                 "CERTIFICATE-----' block)",
                 cert_name);
  }
  std::vector<X509Ptr> chain;
  ERR_clear_error();
  while (X509* next = PEM_read_bio_X509(cert_bio.get(), nullptr, NoPassphrase, nullptr)) {
    chain.emplace_back(next);
    if (chain.size() + 1 > kMaxChain)
      return Error(Code::kInvalid, "TLS certificate {}: more than {} certificates in the chain",
                   cert_name, kMaxChain);
  }
  // The end of the file reads as "no start line"; anything else is a
  // certificate that is there but broken (a half-copied renewal).
  const unsigned long last = ERR_peek_last_error();
  ERR_clear_error();
  if (last != 0 &&
      !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)) {
    return Error(Code::kInvalid,
                 "TLS certificate {}: certificate {} of the chain is unreadable (a truncated or "
                 "damaged PEM block)",
                 cert_name, chain.size() + 2);
  }
  if (X509_cmp_current_time(X509_get0_notAfter(leaf.get())) < 0) {
    return Error(Code::kInvalid, "TLS certificate {}: expired on {}", cert_name,
                 AsnTime(X509_get0_notAfter(leaf.get())));
  }
  if (X509_cmp_current_time(X509_get0_notBefore(leaf.get())) > 0) {
    return Error(Code::kInvalid, "TLS certificate {}: not valid before {}", cert_name,
                 AsnTime(X509_get0_notBefore(leaf.get())));
  }

  BioPtr key_bio = MemoryBio(key_pem);
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    if (key_pem.find("ENCRYPTED") != std::string::npos) {
      return Error(Code::kInvalid,
                   "TLS key {}: the key is encrypted; conveyor needs it unencrypted (e.g. "
                   "'openssl pkey -in {} -out plain.key', kept readable by the server only)",
                   key_name, key_name);
    }
    return Error(Code::kInvalid,
                 "TLS key {}: no PEM private key in it (expected a '-----BEGIN PRIVATE "
                 "KEY-----' block)",
                 key_name);
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    return Error(Code::kInvalid, "TLS key {} does not match the certificate {}", key_name,
                 cert_name);
  }

  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  bool ok = SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) == 1 &&
            SSL_CTX_use_certificate(native, leaf.get()) == 1 &&
            SSL_CTX_use_PrivateKey(native, key.get()) == 1;
  for (const X509Ptr& cert : chain)
    ok = ok && SSL_CTX_add1_chain_cert(native, cert.get()) == 1;
  ok = ok && SSL_CTX_check_private_key(native) == 1;
  if (!ok) {
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
    ERR_clear_error();
    return Error(Code::kInvalid, "TLS certificate {} with key {}: OpenSSL refused them: {}",
                 cert_name, key_name, reason);
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);

  std::string description =
      fmt::format("CN={}, serial {}, expires {} (from {})", CommonName(leaf.get()),
                  Serial(leaf.get()), AsnTime(X509_get0_notAfter(leaf.get())), cert_name);
  return Loaded{std::move(context), std::move(description)};
}

Result<std::unique_ptr<TlsCredentials>> TlsCredentials::Load(TlsPaths paths) {
  ASSIGN_OR_RETURN(Loaded loaded, Read(paths));
  return std::unique_ptr<TlsCredentials>(new TlsCredentials(
      std::move(paths), std::move(loaded.context), std::move(loaded.description)));
}

TlsCredentials::TlsCredentials(TlsPaths paths, std::shared_ptr<ssl::context> context,
                               std::string description)
    : paths_(std::move(paths)),
      current_(std::move(context)),
      description_(std::move(description)) {}

TlsCredentials::~TlsCredentials() = default;

Status TlsCredentials::Reload() {
  // One reload at a time, so an older read cannot be published last.
  std::lock_guard reloading(reload_mu_);
  Result<Loaded> loaded = Read(paths_);
  if (!loaded.ok())
    return loaded.status().WithContext("TLS reload failed, still serving the previous certificate");
  std::lock_guard lock(mu_);
  current_ = std::move(loaded->context);
  description_ = std::move(loaded->description);
  return OkStatus();
}

std::shared_ptr<ssl::context> TlsCredentials::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::string TlsCredentials::Describe() const {
  std::lock_guard lock(mu_);
  return description_;
}

}  // namespace conveyor::serving
