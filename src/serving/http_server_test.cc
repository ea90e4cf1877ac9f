// Drives the server over real sockets on 127.0.0.1. Every wait is bounded.
#include "serving/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <regex>
#include <thread>

#include "serving/access_log.h"
#include "testing/http_client.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor::serving {
namespace {

using conveyor::testing::HttpClient;
using conveyor::testing::HttpReply;
using std::chrono::milliseconds;

// Polls `done` every 5 ms for at most 3 s (scaled).
template <typename Predicate>
bool WaitUntil(Predicate done) {
  return conveyor::testing::WaitUntil(milliseconds(3000), done);
}

struct SeenRequest {
  std::string route, method, path, request_id;
  int status = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
};

class RecordingObserver : public RequestObserver {
 public:
  void OnRequest(const RequestRecord& r) override {
    std::lock_guard lock(mu_);
    seen_.push_back({std::string(r.route), std::string(r.method), std::string(r.path),
                     std::string(r.request_id), r.status, r.request_bytes, r.response_bytes});
  }
  std::vector<SeenRequest> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<SeenRequest> seen_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Add("GET", "/hello/{name}", [](HttpRequest& r) {
      auto q = r.query.find("q");
      return JsonResponse(fmt::format("hello {} q={}", r.path_params.at("name"),
                                      q == r.query.end() ? "-" : q->second));
    });
    Add("POST", "/echo", [](HttpRequest& r) {
      HttpResponse response = JsonResponse(r.body);
      response.content_type = "text/plain";
      return response;
    });
    Add("GET", "/throw", [](HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    Add("GET", "/slow", [this](HttpRequest&) {
      slow_entered_ = true;
      std::this_thread::sleep_for(milliseconds(200));
      return JsonResponse("slow done");
    });
    Add("GET", "/id", [](HttpRequest& r) { return JsonResponse(r.request_id); });
    options_.port = 0;
    options_.threads = 4;
    options_.error_log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      errors_.emplace_back(line);
    };
  }

  void Add(std::string_view method, std::string_view pattern, Handler handler) {
    ASSERT_TRUE(router_.Add(method, pattern, pattern, std::move(handler)).ok());
  }

  void Start() {
    server_ = std::make_unique<HttpServer>(router_, std::vector<RequestObserver*>{&observer_});
    Status started = server_->Start(options_);
    ASSERT_TRUE(started.ok()) << started.ToString();
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<HttpClient> Connect() {
    auto client = HttpClient::Connect(server_->port());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  HttpReply Get(HttpClient& client, std::string_view target) {
    Result<HttpReply> reply = client.Request("GET", target);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? *reply : HttpReply();
  }

  std::vector<std::string> errors() {
    std::lock_guard lock(log_mu_);
    return errors_;
  }

  Router router_;
  RecordingObserver observer_;
  HttpServerOptions options_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<bool> slow_entered_{false};
  std::mutex log_mu_;
  std::vector<std::string> errors_;
};

TEST_F(HttpServerTest, RoutesWithParamsAndDecodesQuery) {
  Start();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  HttpReply reply = Get(*client, "/hello/w%C3%B6rld?q=a%20b+c%26&x");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "hello w\xC3\xB6rld q=a b c&");
  EXPECT_EQ(reply.Header("server"), "conveyor");
  EXPECT_EQ(reply.Header("content-type"), "application/json");
  ASSERT_TRUE(WaitUntil([&] { return observer_.seen().size() == 1; }));
  SeenRequest seen = observer_.seen()[0];
  EXPECT_EQ(seen.route, "/hello/{name}");
  EXPECT_EQ(seen.path, "/hello/w\xC3\xB6rld");
  EXPECT_EQ(seen.status, 200);
  EXPECT_GT(seen.bytes_in, 0U);
  EXPECT_GT(seen.bytes_out, reply.body.size());
}

TEST_F(HttpServerTest, NotFoundAndMethodNotAllowed) {
  Start();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  HttpReply missing = Get(*client, "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"error":{"code":"not_found","message":"no route for /nope"}})");
  Result<HttpReply> wrong = client->Request("POST", "/hello/x", "{}");
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->Header("allow"), "GET, HEAD");
  ASSERT_TRUE(WaitUntil([&] { return observer_.seen().size() == 2; }));
  EXPECT_EQ(observer_.seen()[0].route, "unmatched");
  EXPECT_EQ(observer_.seen()[1].route, "/hello/{name}");
}

TEST_F(HttpServerTest, MalformedRequestsAre400) {
  Start();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  HttpReply bad_escape = Get(*client, "/hello/a%zz");
  EXPECT_EQ(bad_escape.status, 400);
  EXPECT_EQ(bad_escape.body,
            R"({"error":{"code":"bad_request","message":"invalid percent-encoding in the )"
            R"(path: \"/hello/a%zz\""}})");
  ASSERT_TRUE(client->Write("NOT A REQUEST\r\n\r\n").ok());
  Result<HttpReply> garbage = client->ReadReply();
  ASSERT_TRUE(garbage.ok()) << garbage.status().ToString();
  EXPECT_EQ(garbage->status, 400);
  EXPECT_FALSE(garbage->keep_alive);
  EXPECT_TRUE(client->ClosedByPeer(conveyor::testing::Scaled(milliseconds(3000))));
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Start();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 5; ++i) {
    HttpReply reply = Get(*client, fmt::format("/hello/n{}", i));
    EXPECT_EQ(reply.body, fmt::format("hello n{} q=-", i));
    EXPECT_TRUE(reply.keep_alive);
  }
  Result<HttpReply> head = client->Request("HEAD", "/hello/h");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"), "11");  // "hello h q=-"
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(Get(*client, "/hello/after-head").body, "hello after-head q=-");
  EXPECT_EQ(server_->open_connections(), 1U);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  options_.pipeline_limit = 2;
  Start();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  std::string requests;
  for (int i = 0; i < 6; ++i) {
    requests += fmt::format("GET /hello/p{} HTTP/1.1\r\nHost: x\r\n\r\n", i);
  }
  ASSERT_TRUE(client->Write(requests).ok());
  for (int i = 0; i < 6; ++i) {
    Result<HttpReply> reply = client->ReadReply();
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(reply->body, fmt::format("hello p{} q=-", i));
  }
}

TEST_F(HttpServerTest, BodyLimitByContentLengthIs413BeforeTheBody) {
  options_.body_limit = 1024;
  Start();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->Request("POST", "/echo", std::string(1024, 'a'))->status, 200);
  // Only the header: the server must answer without waiting for the body.
  ASSERT_TRUE(
      client->Write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n").ok());
  Result<HttpReply> reply = client->ReadReply();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(reply->body,
            R"({"error":{"code":"payload_too_large","message":"the request body exceeds the )"
            R"(limit of 1024 bytes"}})");
  EXPECT_FALSE(reply->keep_alive);
  EXPECT_TRUE(client->ClosedByPeer(conveyor::testing::Scaled(milliseconds(3000))));
  ASSERT_TRUE(WaitUntil([&] { return observer_.seen().size() == 2; }));
  EXPECT_EQ(observer_.seen()[1].status, 413);
  EXPECT_EQ(observer_.seen()[1].route, "/echo");
}

TEST_F(HttpServerTest, BodyLimitForChunkedBody) {
  options_.body_limit = 1024;
  Start();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) {
    request += "200\r\n" + std::string(512, 'b') + "\r\n";
  }
  request += "0\r\n\r\n";
  ASSERT_TRUE(client->Write(request).ok());
  Result<HttpReply> reply = client->ReadReply();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 413);
  EXPECT_TRUE(client->ClosedByPeer(conveyor::testing::Scaled(milliseconds(3000))));
}

TEST_F(HttpServerTest, SlowClientIsDisconnectedWhileOthersAreServed) {
  options_.header_timeout = milliseconds(300);
  options_.threads = 1;  // the slow client must not hold the only thread
  Start();
  auto slow = Connect();
  ASSERT_NE(slow, nullptr);
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(slow->Write("GET /hello/slow HTTP/1.1\r\nHost: x\r\nX-Half").ok());
  auto fast = Connect();
  ASSERT_NE(fast, nullptr);
  EXPECT_EQ(Get(*fast, "/hello/fast").status, 200);
  EXPECT_TRUE(slow->ClosedByPeer(milliseconds(3000)));
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, milliseconds(250));
  EXPECT_EQ(Get(*fast, "/hello/fast-again").status, 200);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  options_.idle_timeout = milliseconds(200);
  Start();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Get(*client, "/hello/x").status, 200);
  EXPECT_TRUE(client->ClosedByPeer(conveyor::testing::Scaled(milliseconds(3000))));
  EXPECT_TRUE(WaitUntil([&] { return server_->open_connections() == 0; }));
}

TEST(FormatClosingResponseTest, IsACompleteMessageThatClosesTheConnection) {
  HttpResponse busy = JsonError(503, "service_unavailable", "retry");
  busy.headers.emplace_back("Retry-After", "1");
  EXPECT_EQ(FormatClosingResponse(busy, "Service Unavailable", "conveyor/1"),
            "HTTP/1.1 503 Service Unavailable\r\nServer: conveyor/1\r\n"
            "Content-Type: application/json\r\nContent-Length: 58\r\nRetry-After: 1\r\n"
            "Connection: close\r\n\r\n"
            R"({"error":{"code":"service_unavailable","message":"retry"}})");
}

TEST_F(HttpServerTest, ConnectionCapAnswers503) {
  options_.max_connections = 2;
  Start();
  auto first = Connect();
  auto second = Connect();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(Get(*first, "/hello/1").status, 200);
  EXPECT_EQ(Get(*second, "/hello/2").status, 200);
  auto third = Connect();
  ASSERT_NE(third, nullptr);
  Result<HttpReply> busy = third->ReadReply();
  ASSERT_TRUE(busy.ok()) << busy.status().ToString();
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(busy->Header("retry-after"), "1");
  EXPECT_EQ(busy->body, R"({"error":{"code":"service_unavailable","message":"too many open )"
                        R"(connections; retry shortly"}})");
  EXPECT_EQ(server_->rejected_connections(), 1U);
  first.reset();
  ASSERT_TRUE(WaitUntil([&] { return server_->open_connections() == 1; }));
  auto fourth = Connect();
  ASSERT_NE(fourth, nullptr);
  EXPECT_EQ(Get(*fourth, "/hello/4").status, 200);
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndServingGoesOn) {
  Start();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  Result<HttpReply> reply = client->Request("GET", "/throw", "", {{"X-Request-Id", "req-7"}});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 500);
  EXPECT_EQ(reply->body,
            R"x({"error":{"code":"internal","message":"internal error (request id req-7)"}})x");
  EXPECT_EQ(Get(*client, "/hello/next").status, 200);
  ASSERT_EQ(errors().size(), 1U);
  EXPECT_EQ(errors()[0], "request req-7: GET /throw (route /throw): handler threw: boom");
}

TEST_F(HttpServerTest, RequestIdIsGeneratedOrEchoed) {
  Start();
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  HttpReply first = Get(*client, "/id");
  HttpReply second = Get(*client, "/id");
  std::regex generated("[0-9a-f]{8}-[0-9a-f]+");
  EXPECT_TRUE(std::regex_match(first.body, generated)) << first.body;
  EXPECT_EQ(first.Header("x-request-id"), first.body);
  EXPECT_NE(first.body, second.body);
  Result<HttpReply> given = client->Request("GET", "/id", "", {{"X-Request-Id", "abc-123"}});
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->body, "abc-123");
  EXPECT_EQ(given->Header("x-request-id"), "abc-123");
  Result<HttpReply> spaced = client->Request("GET", "/id", "", {{"X-Request-Id", "a b"}});
  ASSERT_TRUE(spaced.ok());
  EXPECT_TRUE(std::regex_match(spaced->body, generated)) << spaced->body;
}

TEST_F(HttpServerTest, GracefulStopFinishesInFlightRequest) {
  Start();
  auto idle = Connect();
  ASSERT_NE(idle, nullptr);
  EXPECT_EQ(Get(*idle, "/hello/idle").status, 200);
  Result<HttpReply> slow_reply = Status(Code::kInternal, "not run");
  std::thread slow_client([&] {
    auto client = HttpClient::Connect(server_->port());
    if (client.ok()) {
      slow_reply = (*client)->Request("GET", "/slow");
    }
  });
  ASSERT_TRUE(WaitUntil([&] { return slow_entered_.load(); }));
  server_->Stop(milliseconds(3000));
  slow_client.join();
  server_->Wait();
  ASSERT_TRUE(slow_reply.ok()) << slow_reply.status().ToString();
  EXPECT_EQ(slow_reply->status, 200);
  EXPECT_EQ(slow_reply->body, "slow done");
  EXPECT_FALSE(slow_reply->keep_alive);
  EXPECT_TRUE(idle->ClosedByPeer(milliseconds(1000)));
  EXPECT_FALSE(HttpClient::Connect(server_->port(), milliseconds(500)).ok());
}

TEST_F(HttpServerTest, ManyConcurrentRequests) {
  Start();
  constexpr int kThreads = 8;
  constexpr int kRequests = 100;
  std::atomic<int> next{0};
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto client = HttpClient::Connect(server_->port());
      if (!client.ok()) {
        return;
      }
      for (int i = next++; i < kRequests; i = next++) {
        Result<HttpReply> reply = (*client)->Request("GET", fmt::format("/hello/c{}", i));
        if (reply.ok() && reply->status == 200 && reply->body == fmt::format("hello c{} q=-", i)) {
          ++ok;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok.load(), kRequests);
  ASSERT_TRUE(WaitUntil([&] { return observer_.seen().size() == kRequests; }));
}

TEST_F(HttpServerTest, AccessLogLineForARequest) {
  std::ostringstream out;
  AccessLog log(out);
  server_ = std::make_unique<HttpServer>(router_, std::vector<RequestObserver*>{&log});
  ASSERT_TRUE(server_->Start(options_).ok());
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  Result<HttpReply> reply = client->Request("GET", "/hello/x", "", {{"X-Request-Id", "r1"}});
  ASSERT_TRUE(reply.ok());
  server_->Stop(milliseconds(1000));
  server_->Wait();
  log.Flush();
  std::string line = out.str();
  EXPECT_NE(line.find(R"("request_id":"r1","remote":"127.0.0.1:)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("method":"GET","route":"/hello/{name}","path":"/hello/x","status":200)"),
            std::string::npos)
      << line;
}

// Runs `command` and returns its standard output.
std::string RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return output;
  }
  std::array<char, 4096> chunk{};
  size_t n = 0;
  while ((n = fread(chunk.data(), 1, chunk.size(), pipe)) > 0) {
    output.append(chunk.data(), n);
  }
  pclose(pipe);
  return output;
}

TEST_F(HttpServerTest, ServesCurl) {
  if (std::system("command -v curl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "curl is not installed (scripts/install-deps.sh installs it)";
  }
  Start();
  std::string base = fmt::format("http://127.0.0.1:{}", server_->port());
  std::string get =
      RunCommand(fmt::format("curl -sS -i --max-time 5 '{}/hello/a%20b?q=x+y'", base));
  EXPECT_NE(get.find("HTTP/1.1 200 OK"), std::string::npos) << get;
  EXPECT_NE(get.find("X-Request-Id: "), std::string::npos) << get;
  EXPECT_NE(get.find("hello a b q=x y"), std::string::npos) << get;

  // 2 MiB makes curl send "Expect: 100-continue"; without our 100 reply it
  // would stall a second before sending the body. Its verbose trace shows
  // the interim reply (a bound on the time instead failed on a busy machine).
  conveyor::testing::TempDir dir;
  conveyor::testing::WriteFile(dir / "body", std::string(2 << 20, 'z'));
  std::string post = RunCommand(
      fmt::format("curl -sS -v --max-time 30 -o /dev/null -w '%{{http_code}} %{{size_download}}' "
                  "--data-binary @{} -H 'Content-Type: application/octet-stream' {}/echo 2>&1",
                  (dir / "body").string(), base));
  EXPECT_NE(post.find("> Expect: 100-continue"), std::string::npos) << post;
  EXPECT_NE(post.find("< HTTP/1.1 100 Continue"), std::string::npos) << post;
  EXPECT_NE(post.find(fmt::format("200 {}", 2 << 20)), std::string::npos) << post;

  std::string missing =
      RunCommand(fmt::format("curl -sS --max-time 5 -w ' %{{http_code}}' {}/nope", base));
  EXPECT_EQ(missing, R"({"error":{"code":"not_found","message":"no route for /nope"}} 404)");
}

}  // namespace
}  // namespace conveyor::serving
