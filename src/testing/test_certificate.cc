#include "testing/test_certificate.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>  // EVP_EC_gen expands to strstr
#include <memory>

namespace conveyor::testing {

namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* pointer) const {
    Free(pointer);
  }
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

Result<TestCertificate> MakeSelfSignedCertificate(const CertificateSpec& spec) {
  std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, Deleter<X509_free>> cert(X509_new());
  if (key == nullptr || cert == nullptr)
    return Error(Code::kInternal, "OpenSSL could not make a key or certificate");
  X509_set_version(cert.get(), 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(spec.not_before.count()));
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(spec.not_after.count()));
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>> extension(
        X509V3_EXT_conf_nid(nullptr, &context, nid, value));
    if (extension == nullptr || X509_add_ext(cert.get(), extension.get(), -1) != 1)
      return Error(Code::kInternal, "OpenSSL could not add extension {}", nid);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return Error(Code::kInternal, "OpenSSL could not sign the certificate");

  std::unique_ptr<BIO, Deleter<BIO_free>> cert_bio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, Deleter<BIO_free>> key_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return Error(Code::kInternal, "OpenSSL could not write PEM");
  }
  return TestCertificate{BioText(cert_bio.get()), BioText(key_bio.get())};
}

}  // namespace conveyor::testing
