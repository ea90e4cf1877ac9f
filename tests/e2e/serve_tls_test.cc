// End-to-end: `conveyor serve --tls-cert --tls-key` with the real binary and
// curl: a prediction over HTTPS verified against the certificate, plain HTTP
// to the port refused with a hint, a renewal picked up on SIGHUP, a broken
// renewal reported while the previous certificate keeps serving, and the
// start-up errors for a missing or mismatched half of the pair (checked
// before the project is opened).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "testing/cli_runner.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"
#include "testing/test_certificate.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;

constexpr std::string_view kTokenEnv = "CONVEYOR_TOKENS=ops=tls-test-token-0123456789:admin ";
constexpr std::string_view kAuth = "-H 'Authorization: Bearer tls-test-token-0123456789' ";

class ServeTlsTest : public testing::TrainedDigitsTest {
 protected:
  // A fresh pair in server.pem/server.key; its certificate also in NAME.pem.
  std::string WritePair(const std::string& name, long serial) {
    Result<testing::TestCertificate> cert =
        testing::MakeSelfSignedCertificate({.common_name = name, .serial = serial});
    if (!cert.ok()) {
      ADD_FAILURE() << cert.status().ToString();
      return "";
    }
    testing::WriteFile(dir_ / "server.pem", cert->certificate_pem);
    testing::WriteFile(dir_ / "server.key", cert->key_pem);
    testing::WriteFile(dir_ / (name + ".pem"), cert->certificate_pem);
    return cert->key_pem;
  }

  // curl's exit status for a prediction trusting only `trusted`; the HTTP
  // code in `code`.
  int Predict(const std::string& url, const std::string& trusted, std::string& code) {
    int rc = Shell(dir_.path(), "curl -s --max-time 20 -o body.json -w '%{http_code}' --cacert " +
                                    trusted + " " + std::string(kAuth) + "-F file=@sample.png " +
                                    url + "/predict >code");
    code = ReadFile(dir_ / "code");
    return rc;
  }

  // Waits (up to 5 s) for `text` in the server's stderr.
  bool LogShows(std::string_view text) {
    for (int i = 0; i < testing::ScaledCount(100); ++i) {
      if (ReadFile(dir_ / "serve.err").find(text) != std::string::npos)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
};

TEST_F(ServeTlsTest, HttpsPredictionsAndReloadOnSighup) {
  std::string first_key = WritePair("first", 1);
  testing::ServeProcess server(dir_.path(), "https", "--cacert first.pem");
  server.Start("--threads 2 --tls-cert server.pem --tls-key server.key", std::string(kTokenEnv));
  ASSERT_FALSE(HasFatalFailure());
  const std::string url = server.url();
  EXPECT_TRUE(LogShows(") on https://127.0.0.1:"));
  EXPECT_TRUE(LogShows("TLS: CN=first, serial 01, expires "));

  std::string code;
  EXPECT_EQ(Predict(url, "first.pem", code), 0);
  EXPECT_EQ(code, "200") << ReadFile(dir_ / "body.json");
  EXPECT_NE(ReadFile(dir_ / "body.json").find("\"probabilities\""), std::string::npos);

  // Plain HTTP to the same port: a 400 that says what to do.
  std::string plain = "http" + url.substr(5);
  // An upload, so the server must drain what it does not read to be heard.
  testing::WriteFile(dir_ / "big.bin", std::string(200 * 1024, 'x'));
  Shell(dir_.path(), "curl -s --max-time 20 -o plain.json -w '%{http_code}' -F file=@big.bin " +
                         plain + "/predict >code");
  EXPECT_EQ(ReadFile(dir_ / "code"), "400");
  EXPECT_NE(ReadFile(dir_ / "plain.json").find("this port speaks HTTPS"), std::string::npos);

  // A renewal: new files, then SIGHUP.
  WritePair("second", 2);
  ASSERT_TRUE(server.Signal("HUP"));
  ASSERT_TRUE(LogShows("TLS reloaded: CN=second, serial 02")) << ReadFile(dir_ / "serve.err");
  EXPECT_EQ(Predict(url, "second.pem", code), 0);
  EXPECT_EQ(code, "200");
  EXPECT_EQ(Predict(url, "first.pem", code), 60) << "curl: peer certificate cannot be verified";

  // A broken renewal (the old key with the new certificate) is reported and
  // the second pair keeps serving.
  testing::WriteFile(dir_ / "server.key", first_key);
  ASSERT_TRUE(server.Signal("HUP"));
  EXPECT_TRUE(LogShows("TLS reload failed, still serving the previous certificate: TLS key "))
      << ReadFile(dir_ / "serve.err");
  EXPECT_EQ(Predict(url, "second.pem", code), 0);
  EXPECT_EQ(code, "200");

  EXPECT_EQ(server.Stop(), "0\n");
  const std::string log = ReadFile(dir_ / "serve.err") + ReadFile(dir_ / "serve.out");
  EXPECT_EQ(log.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(log.find("tls-test-token-0123456789"), std::string::npos);
}

// The pair is checked before the project is even opened, so an empty
// directory will do.
TEST(ServeTlsStartTest, StartUpErrorsNameTheFile) {
  testing::TempDir dir;
  auto half = RunConveyor(dir.path(), "serve --no-auth --port 0 --tls-cert server.pem");
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_NE(half.err.find("--tls-cert given without --tls-key"), std::string::npos) << half.err;

  Result<testing::TestCertificate> first = testing::MakeSelfSignedCertificate();
  Result<testing::TestCertificate> other = testing::MakeSelfSignedCertificate();
  ASSERT_TRUE(first.ok() && other.ok());
  testing::WriteFile(dir / "server.pem", first->certificate_pem);
  testing::WriteFile(dir / "server.key", other->key_pem);
  auto mismatch = RunConveyor(
      dir.path(), "serve --no-auth --port 0 --tls-cert server.pem --tls-key server.key");
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_NE(mismatch.err.find("server.key does not match the certificate"), std::string::npos)
      << mismatch.err;

  auto missing =
      RunConveyor(dir.path(), "serve --no-auth --port 0 --tls-cert nope.pem --tls-key server.key");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot read "), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("nope.pem"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace conveyor
