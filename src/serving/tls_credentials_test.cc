#include "serving/tls_credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>

#include "testing/temp_dir.h"
#include "testing/test_certificate.h"

namespace conveyor::serving {
namespace {

using conveyor::testing::CertificateSpec;
using conveyor::testing::MakeSelfSignedCertificate;
using conveyor::testing::TempDir;
using conveyor::testing::TestCertificate;
using conveyor::testing::WriteFile;
using ::testing::HasSubstr;

class TlsCredentialsTest : public ::testing::Test {
 protected:
  TlsPaths Write(const TestCertificate& cert) {
    WriteFile(paths_.certificate, cert.certificate_pem);
    WriteFile(paths_.key, cert.key_pem);
    return paths_;
  }
  static TestCertificate Make(const CertificateSpec& spec = {}) {
    Result<TestCertificate> cert = MakeSelfSignedCertificate(spec);
    EXPECT_TRUE(cert.ok()) << cert.status().ToString();
    return cert.ok() ? *cert : TestCertificate();
  }
  std::string LoadError() {
    Result<std::unique_ptr<TlsCredentials>> tls = TlsCredentials::Load(paths_);
    EXPECT_FALSE(tls.ok());
    return tls.ok() ? "" : tls.status().message();
  }

  TempDir dir_;
  TlsPaths paths_{dir_ / "server.pem", dir_ / "server.key"};
};

TEST_F(TlsCredentialsTest, LoadsAMatchingPairAndDescribesIt) {
  Write(Make({.common_name = "models.example", .serial = 0x1F}));
  Result<std::unique_ptr<TlsCredentials>> tls = TlsCredentials::Load(paths_);
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  std::string description = (*tls)->Describe();
  EXPECT_THAT(description, HasSubstr("CN=models.example, serial 1F, expires 20"));
  EXPECT_THAT(description, HasSubstr("UTC (from " + paths_.certificate.string() + ")"));
  ASSERT_NE((*tls)->Current(), nullptr);
  // TLS 1.0 and 1.1 are refused.
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*tls)->Current()->native_handle()), TLS1_2_VERSION);
}

TEST_F(TlsCredentialsTest, ErrorsNameTheFileAndTheReason) {
  EXPECT_THAT(LoadError(), HasSubstr("cannot read " + paths_.certificate.string()));

  Write(Make());
  WriteFile(paths_.certificate, "hello\n");
  EXPECT_EQ(LoadError(), "TLS certificate " + paths_.certificate.string() +
                             ": no PEM certificate in it (expected a '-----BEGIN "
                             "CERTIFICATE-----' block)");

  Write(Make());
  WriteFile(paths_.key, Make().certificate_pem);
  EXPECT_EQ(LoadError(), "TLS key " + paths_.key.string() +
                             ": no PEM private key in it (expected a '-----BEGIN PRIVATE "
                             "KEY-----' block)");

  Write(Make());
  WriteFile(paths_.key,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
  EXPECT_THAT(LoadError(), HasSubstr("the key is encrypted; conveyor needs it unencrypted"));

  Write(Make());
  WriteFile(paths_.key, Make().key_pem);  // another pair's key
  EXPECT_EQ(LoadError(), "TLS key " + paths_.key.string() + " does not match the certificate " +
                             paths_.certificate.string());

  Write(Make({.not_before = std::chrono::hours(-48), .not_after = std::chrono::hours(-24)}));
  EXPECT_THAT(LoadError(), HasSubstr(paths_.certificate.string() + ": expired on 20"));

  Write(Make({.not_before = std::chrono::hours(24), .not_after = std::chrono::hours(48)}));
  EXPECT_THAT(LoadError(), HasSubstr(": not valid before 20"));
}

TEST_F(TlsCredentialsTest, AChainLoadsAndABrokenIntermediateIsRefused) {
  TestCertificate cert = Make();
  std::string intermediate = Make().certificate_pem;
  Write(cert);
  WriteFile(paths_.certificate, cert.certificate_pem + intermediate);
  EXPECT_TRUE(TlsCredentials::Load(paths_).ok());
  // A renewal copied half-way: the second block is cut off.
  WriteFile(paths_.certificate,
            cert.certificate_pem + intermediate.substr(0, intermediate.size() / 2));
  EXPECT_EQ(LoadError(), "TLS certificate " + paths_.certificate.string() +
                             ": certificate 2 of the chain is unreadable (a truncated or damaged "
                             "PEM block)");
}

TEST_F(TlsCredentialsTest, KeyTextNeverAppearsInErrors) {
  TestCertificate cert = Make();
  Write(cert);
  // The key where the certificate should be: the message must not echo it.
  WriteFile(paths_.certificate, cert.key_pem);
  std::string error = LoadError();
  EXPECT_THAT(error, HasSubstr("no PEM certificate"));
  EXPECT_EQ(error.find("PRIVATE KEY-----\n"), std::string::npos) << error;
}

TEST_F(TlsCredentialsTest, ReloadSwapsOnSuccessAndKeepsTheOldOnFailure) {
  Write(Make({.serial = 1}));
  Result<std::unique_ptr<TlsCredentials>> loaded = TlsCredentials::Load(paths_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  TlsCredentials& tls = **loaded;
  std::shared_ptr<boost::asio::ssl::context> first = tls.Current();
  EXPECT_THAT(tls.Describe(), HasSubstr("serial 01,"));

  Write(Make({.serial = 2}));
  ASSERT_TRUE(tls.Reload().ok());
  EXPECT_NE(tls.Current(), first);
  EXPECT_THAT(tls.Describe(), HasSubstr("serial 02,"));

  std::shared_ptr<boost::asio::ssl::context> second = tls.Current();
  WriteFile(paths_.key, Make().key_pem);  // a renewal half-copied: key of another pair
  Status failed = tls.Reload();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.message(),
            "TLS reload failed, still serving the previous certificate: TLS key " +
                paths_.key.string() + " does not match the certificate " +
                paths_.certificate.string());
  EXPECT_EQ(tls.Current(), second);
  EXPECT_THAT(tls.Describe(), HasSubstr("serial 02,"));
}

}  // namespace
}  // namespace conveyor::serving
