#include "serving/http_server.h"

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <random>
#include <thread>

#include "serving/http_session.h"
#include "serving/tls_credentials.h"

namespace conveyor::serving {

namespace {

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// Answers a connection beyond max_connections with a canned 503, then closes
// it after a short linger (so the client reads the 503 rather than a reset).
class Rejection : public std::enable_shared_from_this<Rejection> {
 public:
  Rejection(tcp::socket&& socket, std::shared_ptr<const std::string> text)
      : stream_(std::move(socket)), text_(std::move(text)) {}

  void Run() {
    stream_.expires_after(std::chrono::seconds(1));
    net::async_write(stream_, net::buffer(*text_),
                     [self = shared_from_this()](beast::error_code ec, size_t /*n*/) {
                       if (ec) {
                         self->stream_.close();
                         return;
                       }
                       beast::error_code ignored;
                       self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                       self->Linger();
                     });
  }

 private:
  void Linger() {
    stream_.expires_after(std::chrono::seconds(1));
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->discarded_ += n;
                              if (ec || self->discarded_ > kLingerBytes) {
                                self->stream_.close();
                                return;
                              }
                              self->Linger();
                            });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<const std::string> text_;
  std::array<char, 1024> discard_{};
  size_t discarded_ = 0;
};

}  // namespace

// Owns the io_context, the acceptor and the I/O threads; sessions are in
// http_session.cc.
class HttpServer::Impl : public ServerCore {
 public:
  Impl(const Router& router, std::vector<RequestObserver*> observers)
      : ServerCore(router, std::move(observers)) {}

  ~Impl() override {
    Stop(std::chrono::milliseconds(0));
    Wait();
  }

  Status Start(const HttpServerOptions& options);
  void Stop(std::chrono::milliseconds grace);
  void Wait();
  uint16_t port() const { return port_.load(); }
  uint64_t rejected() const { return rejected_.load(); }

 private:
  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void RunThread();

  std::atomic<uint16_t> port_{0};
  std::atomic<uint64_t> rejected_{0};
  std::shared_ptr<const std::string> busy_response_;

  std::mutex lifecycle_mu_;
  bool started_ = false;      // guarded by lifecycle_mu_
  bool running_ = false;      // threads started; guarded by lifecycle_mu_
  bool stop_called_ = false;  // guarded by lifecycle_mu_
  std::mutex join_mu_;        // serialises Wait()

  // Declared after everything its pending handlers touch: destroying it
  // destroys those handlers and the sessions they own.
  net::io_context ioc_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<net::steady_timer> accept_retry_;
  std::vector<std::thread> threads_;
};

Status HttpServer::Impl::Start(const HttpServerOptions& options) {
  {
    std::lock_guard lock(lifecycle_mu_);
    if (started_) {
      return Error(Code::kInternal, "HttpServer::Start called twice");
    }
    started_ = true;
  }
  if (options.threads < 0 || options.body_limit == 0 || options.header_limit == 0 ||
      options.pipeline_limit == 0 || options.max_connections == 0 ||
      options.header_timeout.count() <= 0 || options.body_timeout.count() <= 0 ||
      options.idle_timeout.count() <= 0 || options.write_timeout.count() <= 0) {
    return Error(Code::kInvalid,
                 "http server options: threads must be >= 0; limits, caps and timeouts > 0");
  }
  options_ = options;
  if (!options_.error_log) {
    options_.error_log = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
  }
  std::random_device random;
  id_prefix_ = fmt::format("{:08x}", random());
  HttpResponse busy =
      JsonError(503, "service_unavailable", "too many open connections; retry shortly");
  busy.headers.emplace_back("Retry-After", "1");
  busy_response_ = std::make_shared<const std::string>(
      FormatClosingResponse(busy, "Service Unavailable", options_.server_name));

  beast::error_code ec;
  net::ip::address address = net::ip::make_address(options_.address, ec);
  if (ec) {
    return Error(Code::kInvalid, "http server: invalid address \"{}\"", options_.address);
  }
  tcp::endpoint endpoint(address, options_.port);
  std::string where = fmt::format("{}:{}", options_.address, options_.port);
  acceptor_.emplace(net::make_strand(ioc_));
  accept_retry_.emplace(acceptor_->get_executor());
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_->bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_->listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Error(Code::kIo, "cannot listen on {}: {}", where, ec.message());
  }
  port_ = acceptor_->local_endpoint(ec).port();

  DoAccept();
  int threads = options_.threads > 0
                    ? options_.threads
                    : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { RunThread(); });
  }
  std::lock_guard lock(lifecycle_mu_);
  running_ = true;
  return OkStatus();
}

void HttpServer::Impl::RunThread() {
  while (true) {
    try {
      ioc_.run();
      return;
    } catch (const std::exception& e) {
      LogError(fmt::format("http server: I/O thread caught: {}", e.what()));
    }
  }
}

void HttpServer::Impl::DoAccept() {
  acceptor_->async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping() || ec == net::error::operation_aborted) {
    return;
  }
  if (ec) {
    // Typically EMFILE: back off rather than spin.
    LogError(fmt::format("http server: accept failed: {}", ec.message()));
    accept_retry_->expires_after(std::chrono::milliseconds(50));
    accept_retry_->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && !stopping()) {
        DoAccept();
      }
    });
    return;
  }
  // Only this strand adds sessions, so the check cannot race with another add.
  if (open_connections() >= options_.max_connections) {
    ++rejected_;
    if (options_.tls != nullptr) {
      // A plain-text 503 means nothing to a TLS client, and a handshake is
      // what the cap saves: just close.
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Rejection>(std::move(socket), busy_response_)->Run();
    }
  } else {
    beast::error_code endpoint_ec;
    std::string remote = FormatEndpoint(socket.remote_endpoint(endpoint_ec));
    std::shared_ptr<SessionBase> session;
    if (options_.tls != nullptr) {
      session = std::make_shared<TlsSession>(std::move(socket), options_.tls->Current(), *this,
                                             std::move(remote));
    } else {
      session =
          std::make_shared<PlainSession>(std::move(socket), nullptr, *this, std::move(remote));
    }
    Register(session);
    session->Run();
  }
  DoAccept();
}

void HttpServer::Impl::Stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(lifecycle_mu_);
    if (!running_ || stop_called_) {
      return;
    }
    stop_called_ = true;
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  BeginStopping();
  net::post(acceptor_->get_executor(), [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
    accept_retry_->cancel();
  });
  for (const auto& session : LiveSessions()) {
    session->OnServerStop();
  }
  if (!WaitForNoSessions(deadline)) {
    for (const auto& session : LiveSessions()) {
      session->ForceClose();
    }
    // A handler still running keeps its session until it returns; don't
    // wait for it long here (Wait() joins its thread).
    WaitForNoSessions(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  ioc_.stop();
}

void HttpServer::Impl::Wait() {
  std::lock_guard lock(join_mu_);
  for (std::thread& thread : threads_) {
    if (thread.joinable()) {
      thread.join();
    }
  }
}

HttpServer::HttpServer(const Router& router, std::vector<RequestObserver*> observers)
    : impl_(std::make_unique<Impl>(router, std::move(observers))) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Start(const HttpServerOptions& options) { return impl_->Start(options); }

uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop(std::chrono::milliseconds grace) { impl_->Stop(grace); }

void HttpServer::Wait() { impl_->Wait(); }

size_t HttpServer::open_connections() const { return impl_->open_connections(); }

uint64_t HttpServer::rejected_connections() const { return impl_->rejected(); }

int64_t HttpServer::requests_in_flight() const { return impl_->requests_in_flight(); }

}  // namespace conveyor::serving
