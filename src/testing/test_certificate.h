// Test helper: self-signed certificates made in memory with OpenSSL, for
// tests of `conveyor serve` over TLS. Each is an EC P-256 key and an X.509 v3
// certificate for "localhost" and 127.0.0.1 (subjectAltName), signed with
// SHA-256 by its own key, so a client that trusts the certificate file
// verifies both the chain and the host name.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"

namespace conveyor::testing {

struct CertificateSpec {
  std::string common_name = "localhost";
  long serial = 1;
  // Validity relative to now; a not_after in the past makes an expired one.
  std::chrono::seconds not_before = std::chrono::hours(-1);
  std::chrono::seconds not_after = std::chrono::hours(24);
};

struct TestCertificate {
  std::string certificate_pem;
  std::string key_pem;  // PKCS#8, unencrypted
};

Result<TestCertificate> MakeSelfSignedCertificate(const CertificateSpec& spec = {});

}  // namespace conveyor::testing
