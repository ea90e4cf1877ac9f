// The server over TLS, driven by libcurl (a real client that verifies the
// certificate chain and the host name) on 127.0.0.1. Every wait is bounded.
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "serving/http_server.h"
#include "serving/tls_credentials.h"
#include "testing/http_client.h"
#include "testing/temp_dir.h"
#include "testing/test_certificate.h"
#include "testing/time_scale.h"

namespace conveyor::serving {
namespace {

using conveyor::testing::CertificateSpec;
using conveyor::testing::HttpClient;
using conveyor::testing::TempDir;
using conveyor::testing::WriteFile;
using ::testing::HasSubstr;

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// One libcurl handle: connections are reused across Get calls, as a client
// with keep-alive would.
class CurlClient {
 public:
  // `alias`: a host name whose connections go to 127.0.0.1 (same port),
  // while TLS still checks the certificate against the name.
  explicit CurlClient(std::filesystem::path trusted, const std::string& alias = "")
      : trusted_(std::move(trusted)) {
    if (!alias.empty()) {
      resolve_ = curl_slist_append(nullptr, (alias + "::127.0.0.1:").c_str());
      curl_easy_setopt(curl_, CURLOPT_CONNECT_TO, resolve_);
    }
  }
  ~CurlClient() {
    curl_easy_cleanup(curl_);
    curl_slist_free_all(resolve_);
  }
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  struct Reply {
    CURLcode result = CURLE_OK;
    std::string error;  // curl's message when result is not OK
    long status = 0;
    std::string body;
    long http_version = 0;
  };

  Reply Get(const std::string& url) {
    Reply reply;
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CAINFO, trusted_.c_str());
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Append);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply.body);
    reply.result = curl_easy_perform(curl_);
    reply.error = error;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_easy_getinfo(curl_, CURLINFO_HTTP_VERSION, &reply.http_version);
    return reply;
  }

  long connects() {
    long count = 0;
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &count);
    return count;
  }

 private:
  std::filesystem::path trusted_;
  CURL* curl_ = curl_easy_init();
  curl_slist* resolve_ = nullptr;
};

class HttpServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(router_
                    .Add("GET", "/ping", "/ping",
                         [](HttpRequest&) {
                           HttpResponse response = JsonResponse("\"pong\"");
                           return response;
                         })
                    .ok());
    WriteCertificate({.common_name = "first", .serial = 1}, "first");
    Result<std::unique_ptr<TlsCredentials>> tls = TlsCredentials::Load(paths_);
    ASSERT_TRUE(tls.ok()) << tls.status().ToString();
    tls_ = std::move(*tls);
    options_.port = 0;
    options_.threads = 2;
    options_.tls = tls_.get();
    options_.error_log = [this](std::string_view line) {
      std::lock_guard lock(mu_);
      errors_.emplace_back(line);
    };
    server_ = std::make_unique<HttpServer>(router_);
    Status started = server_->Start(options_);
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  // Writes a fresh pair to the served paths and its certificate to
  // <name>.pem, for clients that trust only it.
  void WriteCertificate(const CertificateSpec& spec, const std::string& name) {
    Result<conveyor::testing::TestCertificate> cert =
        conveyor::testing::MakeSelfSignedCertificate(spec);
    ASSERT_TRUE(cert.ok()) << cert.status().ToString();
    WriteFile(paths_.certificate, cert->certificate_pem);
    WriteFile(paths_.key, cert->key_pem);
    WriteFile(dir_ / (name + ".pem"), cert->certificate_pem);
  }

  std::string Url(std::string_view host = "127.0.0.1") const {
    return fmt::format("https://{}:{}/ping", host, server_->port());
  }

  TempDir dir_;
  TlsPaths paths_{dir_ / "server.pem", dir_ / "server.key"};
  std::unique_ptr<TlsCredentials> tls_;
  Router router_;
  HttpServerOptions options_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::vector<std::string> errors_;
};

TEST_F(HttpServerTlsTest, ServesHttpsToAClientThatVerifiesTheCertificate) {
  CurlClient client(dir_ / "first.pem");
  for (int i = 0; i < 3; ++i) {
    CurlClient::Reply reply = client.Get(Url());
    ASSERT_EQ(reply.result, CURLE_OK) << reply.error;
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, "\"pong\"");
    EXPECT_EQ(reply.http_version, CURL_HTTP_VERSION_1_1);
  }
  EXPECT_EQ(client.connects(), 0) << "the third request should reuse the connection";
  // The host name is checked too: "localhost" is in the certificate,
  // "elsewhere.example" (resolved to the same address) is not.
  CurlClient::Reply by_name = CurlClient(dir_ / "first.pem").Get(Url("localhost"));
  EXPECT_EQ(by_name.result, CURLE_OK) << by_name.error;
  CurlClient::Reply wrong_name =
      CurlClient(dir_ / "first.pem", "elsewhere.example").Get(Url("elsewhere.example"));
  EXPECT_EQ(wrong_name.result, CURLE_PEER_FAILED_VERIFICATION) << wrong_name.error;
}

TEST_F(HttpServerTlsTest, AClientThatTrustsAnotherCertificateIsRefused) {
  Result<conveyor::testing::TestCertificate> other = conveyor::testing::MakeSelfSignedCertificate();
  ASSERT_TRUE(other.ok());
  WriteFile(dir_ / "other.pem", other->certificate_pem);
  CurlClient::Reply reply = CurlClient(dir_ / "other.pem").Get(Url());
  EXPECT_EQ(reply.result, CURLE_PEER_FAILED_VERIFICATION) << reply.error;
  // The server goes on.
  EXPECT_EQ(CurlClient(dir_ / "first.pem").Get(Url()).status, 200);
}

TEST_F(HttpServerTlsTest, PlainHttpToTheTlsPortGetsA400NamingHttps) {
  Result<std::unique_ptr<HttpClient>> plain = HttpClient::Connect(server_->port());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  Result<conveyor::testing::HttpReply> reply = (*plain)->Request("GET", "/ping");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(reply->body,
            R"({"error":{"code":"bad_request","message":"this port speaks HTTPS: send the )"
            R"(request to https:// instead"}})");
  EXPECT_FALSE(reply->keep_alive);

  // An upload the server does not read: drained, so the answer arrives.
  Result<std::unique_ptr<HttpClient>> upload = HttpClient::Connect(server_->port());
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  Result<conveyor::testing::HttpReply> refused =
      (*upload)->Request("POST", "/ping", std::string(256 * 1024, 'x'));
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->status, 400);
}

TEST_F(HttpServerTlsTest, GarbageAfterAHandshakeRecordClosesOnlyThatConnection) {
  Result<std::unique_ptr<HttpClient>> raw = HttpClient::Connect(server_->port());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE((*raw)->Write(std::string("\x16\x03\x01\x00\x05garbage-not-a-hello", 24)).ok());
  EXPECT_TRUE((*raw)->ClosedByPeer(std::chrono::seconds(3)));
  EXPECT_EQ(CurlClient(dir_ / "first.pem").Get(Url()).status, 200);
}

TEST_F(HttpServerTlsTest, ReloadServesTheNewCertificateToNewConnections) {
  CurlClient old_client(dir_ / "first.pem");
  ASSERT_EQ(old_client.Get(Url()).status, 200);

  WriteCertificate({.common_name = "renewed", .serial = 2}, "renewed");
  ASSERT_TRUE(tls_->Reload().ok());
  // New connections present the renewed certificate: a client trusting only
  // it succeeds, a fresh client trusting only the first one fails.
  CurlClient::Reply renewed = CurlClient(dir_ / "renewed.pem").Get(Url());
  EXPECT_EQ(renewed.result, CURLE_OK) << renewed.error;
  EXPECT_EQ(CurlClient(dir_ / "first.pem").Get(Url()).result, CURLE_PEER_FAILED_VERIFICATION);
  // The connection opened before the reload goes on with the old one.
  CurlClient::Reply kept = old_client.Get(Url());
  EXPECT_EQ(kept.result, CURLE_OK) << kept.error;
  EXPECT_EQ(old_client.connects(), 0);

  // A failed reload (the key of another pair) changes nothing.
  Result<conveyor::testing::TestCertificate> other = conveyor::testing::MakeSelfSignedCertificate();
  ASSERT_TRUE(other.ok());
  WriteFile(paths_.key, other->key_pem);
  EXPECT_THAT(tls_->Reload().message(), HasSubstr("still serving the previous certificate"));
  EXPECT_EQ(CurlClient(dir_ / "renewed.pem").Get(Url()).status, 200);
}

TEST_F(HttpServerTlsTest, StopClosesTlsConnectionsPromptly) {
  CurlClient client(dir_ / "first.pem");
  ASSERT_EQ(client.Get(Url()).status, 200);  // leaves an idle keep-alive connection
  auto started = std::chrono::steady_clock::now();
  server_->Stop(std::chrono::seconds(5));
  server_->Wait();
  EXPECT_LT(std::chrono::steady_clock::now() - started,
            conveyor::testing::Scaled(std::chrono::seconds(3)));
  std::lock_guard lock(mu_);
  EXPECT_TRUE(errors_.empty()) << errors_.front();
}

}  // namespace
}  // namespace conveyor::serving
