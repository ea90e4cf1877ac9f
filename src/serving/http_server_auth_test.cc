// The server's authorization hook (HttpServerOptions::authorizer), over real
// sockets: denials come before the body is read, and the principal reaches
// handlers and observers.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "serving/http_server.h"
#include "testing/http_client.h"

namespace conveyor::serving {
namespace {

using conveyor::testing::HttpClient;
using conveyor::testing::HttpReply;
using std::chrono::milliseconds;

// Allows "Bearer good" as "alice"; "/open" needs nothing; denies the rest
// with 401. Counts its calls.
class FakeAuthorizer : public RequestAuthorizer {
 public:
  AuthResult Authorize(const RouteMatch& match, std::string_view authorization) const override {
    ++calls;
    AuthResult result;
    if (match.name == "open")
      return result;
    if (authorization == "Bearer good") {
      result.principal = "alice";
      return result;
    }
    result.denial = std::make_unique<HttpResponse>(JsonError(401, "unauthorized", "no"));
    result.denial->headers.emplace_back("WWW-Authenticate", "Bearer realm=\"conveyor\"");
    return result;
  }
  mutable std::atomic<int> calls{0};
};

class PrincipalObserver : public RequestObserver {
 public:
  void OnRequest(const RequestRecord& record) override {
    std::lock_guard lock(mu_);
    seen_.emplace_back(std::to_string(record.status) + " " + std::string(record.route) + " " +
                       std::string(record.principal));
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> seen_;
};

class HttpServerAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto echo = [this](HttpRequest& request) {
      ++handled_;
      return JsonResponse(std::string(request.principal) + ":" + request.body);
    };
    ASSERT_TRUE(router_.Add("POST", "/upload", "upload", echo).ok());
    ASSERT_TRUE(router_.Add("GET", "/open", "open", echo).ok());
    options_.port = 0;
    options_.threads = 2;
    options_.authorizer = &authorizer_;
    server_ = std::make_unique<HttpServer>(router_, std::vector<RequestObserver*>{&observer_});
    ASSERT_TRUE(server_->Start(options_).ok());
  }

  std::unique_ptr<HttpClient> Connect() {
    auto client = HttpClient::Connect(server_->port());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  std::vector<std::string> WaitForRecords(size_t n) {
    for (int i = 0; i < 600 && observer_.seen().size() < n; ++i)
      std::this_thread::sleep_for(milliseconds(5));
    return observer_.seen();
  }

  Router router_;
  FakeAuthorizer authorizer_;
  PrincipalObserver observer_;
  HttpServerOptions options_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> handled_{0};
};

TEST_F(HttpServerAuthTest, DeniesBeforeReadingTheBodyAndCloses) {
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  // Only the header of a 10 MB upload: the answer must come without the body.
  ASSERT_TRUE(
      client->Write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n").ok());
  Result<HttpReply> reply = client->ReadReply();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 401);
  EXPECT_EQ(reply->headers["www-authenticate"], "Bearer realm=\"conveyor\"");
  EXPECT_FALSE(reply->keep_alive);
  EXPECT_TRUE(client->ClosedByPeer(milliseconds(3000)));
  EXPECT_EQ(handled_.load(), 0);
  EXPECT_EQ(WaitForRecords(1), std::vector<std::string>{"401 /upload "});
}

TEST_F(HttpServerAuthTest, DenialWithoutABodyKeepsTheConnection) {
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  Result<HttpReply> denied = client->Request("POST", "/upload", "");
  ASSERT_TRUE(denied.ok()) << denied.status().ToString();
  EXPECT_EQ(denied->status, 401);
  Result<HttpReply> allowed =
      client->Request("POST", "/upload", "hi", {{"Authorization", "Bearer good"}});
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->body, "alice:hi");
  Result<HttpReply> open = client->Request("GET", "/open");
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->body, ":");
  // 404s are asked about too (the authorizer decides what they need).
  EXPECT_EQ(client->Request("GET", "/nowhere")->status, 401);
  EXPECT_EQ(client->Request("GET", "/nowhere", "", {{"Authorization", "Bearer good"}})->status,
            404);
  EXPECT_EQ(authorizer_.calls.load(), 5);
  EXPECT_EQ(WaitForRecords(5),
            (std::vector<std::string>{"401 /upload ", "200 /upload alice", "200 /open ",
                                      "401 unmatched ", "404 unmatched alice"}));
}

TEST_F(HttpServerAuthTest, AllowedUploadIsReadWhole) {
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  std::string body(1 << 20, 'z');
  Result<HttpReply> reply =
      client->Request("POST", "/upload", body, {{"Authorization", "Bearer good"}});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body.size(), body.size() + 6);
}

}  // namespace
}  // namespace conveyor::serving
