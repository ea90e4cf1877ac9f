// Internal to the HTTP server (http_server.cc): the state shared by the
// listener and the connections, and one connection's session. Includes
// Boost.Beast, so nothing outside src/serving/http_*.cc includes it.
//
// A Session follows Beast's advanced server example: it reads requests with
// a header timeout, a body timeout and a body limit, answers each through the
// Router on its strand, and keeps up to `pipeline_limit` responses queued
// while it reads the next request. Between requests it waits up to
// `idle_timeout` for the first byte of the next one. Closing is graceful (the
// send side is shut, unread input is drained for a short while) so that a
// client still sending gets the error response rather than a reset.
//
// A session runs over plain TCP (PlainSession) or over TLS (TlsSession: the
// handshake comes first, under the header timeout; a client that speaks plain
// HTTP to the TLS port gets a plain-text 400 telling it to use https). The
// two are one template, instantiated in http_session.cc for these streams.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "serving/http_server.h"

namespace conveyor::serving {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

// Unread input drained after a response with Connection: close, at most.
inline constexpr size_t kLingerBytes = 1 << 20;
inline constexpr std::chrono::seconds kLingerTimeout{2};

// What the server holds of a session, whatever its stream.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Each of these hops onto the session's strand; callable from any thread.
  virtual void Run() = 0;
  // Graceful: finish the request being read or handled, then close.
  virtual void OnServerStop() = 0;
  virtual void ForceClose() = 0;
};

// What sessions need from the server. Thread-safe.
class ServerCore {
 public:
  ServerCore(const Router& router, std::vector<RequestObserver*> observers)
      : router_(router), observers_(std::move(observers)) {}
  virtual ~ServerCore() = default;
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  const Router& router() const { return router_; }
  // Constant once the server runs.
  const HttpServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  // "<prefix>-<counter>", unique within this server.
  std::string NewRequestId();
  // Calls every observer; an observer that throws is logged, not fatal.
  void Report(const RequestRecord& record);
  void LogError(std::string_view line) const;

  void Register(const std::shared_ptr<SessionBase>& session);
  void Unregister(SessionBase* session);
  size_t open_connections() const;

  // Requests whose handler is running.
  int64_t requests_in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  // Counts one request in flight for its lifetime.
  class InFlight {
   public:
    explicit InFlight(ServerCore& core) : core_(core) {
      core_.in_flight_.fetch_add(1, std::memory_order_relaxed);
    }
    ~InFlight() { core_.in_flight_.fetch_sub(1, std::memory_order_relaxed); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    ServerCore& core_;
  };

 protected:
  void BeginStopping() { stopping_.store(true, std::memory_order_release); }
  std::vector<std::shared_ptr<SessionBase>> LiveSessions() const;
  // True when no session is left by `deadline`.
  bool WaitForNoSessions(std::chrono::steady_clock::time_point deadline);

  // Set by Start before any session exists.
  HttpServerOptions options_;
  std::string id_prefix_;

 private:
  const Router& router_;
  const std::vector<RequestObserver*> observers_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> next_id_{0};
  std::atomic<int64_t> in_flight_{0};

  mutable std::mutex mu_;
  std::condition_variable sessions_changed_;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;  // guarded by mu_
};

// Stream: beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  // `context`: null for plain TCP; for TLS, the context the session keeps
  // alive for its lifetime.
  Session(tcp::socket&& socket, std::shared_ptr<net::ssl::context> context, ServerCore& core,
          std::string remote)
      : context_(std::move(context)),
        stream_(MakeStream(std::move(socket), context_.get())),
        core_(core),
        remote_(std::move(remote)) {}
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Run() override;
  void OnServerStop() override;
  void ForceClose() override;

 private:
  // A response waiting to be written, with what the observer will be told.
  struct Pending {
    http::response<http::string_body> response;
    std::string_view route;
    std::string method;
    std::string path;
    std::string request_id;
    std::string error_kind;
    std::string_view principal;  // views the authorizer's token store
    uint64_t request_bytes = 0;
    std::chrono::steady_clock::time_point start;
    std::chrono::system_clock::time_point wall_start;
  };

  static Stream MakeStream(tcp::socket&& socket, net::ssl::context* context) {
    if constexpr (kTls)
      return Stream(std::move(socket), *context);
    else
      return Stream(std::move(socket));
  }
  std::shared_ptr<Session> Self() { return this->shared_from_this(); }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  // TLS only: reads the first bytes; a TLS record goes on to the handshake,
  // anything else is answered in plain text and closed.
  void StartHandshake();
  void OnClientHello(beast::error_code ec, size_t bytes);
  void OnHandshake(beast::error_code ec, size_t used);
  void RefusePlainHttp();

  void StartRead();
  void OnFirstBytes(beast::error_code ec, size_t bytes);
  void ReadHeader();
  // Common to every completed read: counts the bytes, and handles a closed
  // session or a read error; true when the caller should go on.
  bool ReadSucceeded(beast::error_code ec, size_t bytes);
  void OnHeader(beast::error_code ec, size_t bytes);
  // Once the header is in: parses the target, routes it (once per request)
  // and asks the authorizer; fills request_, match_, principal_ and, for a
  // request answered without its handler (bad target, denied), early_.
  void RouteHeader();
  void ReadBody();
  void OnBody(beast::error_code ec, size_t bytes);
  void OnReadError(beast::error_code ec);
  void OnRequest();
  // Answers a request that could not be read whole (413, 431, 400), then closes.
  void RespondEarly(int status, std::string_view code, std::string_view message);
  // Answers the routed request in request_ with `response` without reading
  // its body, then closes.
  void RespondAndClose(HttpResponse response);
  void Enqueue(HttpResponse response, Pending pending, bool keep_alive, bool head,
               unsigned version);
  void DoWrite();
  void OnWrite(beast::error_code ec, size_t bytes);
  void DoServerStop();
  void MaybeFinish();
  void Close();  // graceful: shut the send side, drain input, then HardClose
  void Linger();
  void AfterCloseRead(beast::error_code ec);
  void HardClose();
  std::string RequestIdFrom(const http::request_parser<http::string_body>::value_type& message);

  // All state below is touched only on the session's strand.
  std::shared_ptr<net::ssl::context> context_;  // TLS only; outlives stream_
  Stream stream_;
  ServerCore& core_;
  const std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // The request being read, from RouteHeader to OnRequest: method, target,
  // path, query and path_params so far.
  HttpRequest request_;
  RouteMatch match_;
  std::unique_ptr<HttpResponse> early_;  // the answer when the handler is not to run
  std::string_view principal_;
  std::deque<Pending> queue_;  // front() is being written when writing_
  bool reading_ = false;       // a read is outstanding
  bool in_body_ = false;       // the header is in, the body is being read
  bool writing_ = false;       // a write is outstanding
  bool read_done_ = false;     // read no further requests
  bool closed_ = false;        // Close() or HardClose() has begun
  bool first_request_ = true;
  // Reads go through stream_: always for plain TCP; for TLS from the start
  // of the handshake (before it, the session reads the raw socket).
  bool encrypted_ = !kTls;
  uint64_t request_bytes_ = 0;
  uint64_t lingered_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::system_clock::time_point wall_start_;
};

using PlainSession = Session<beast::tcp_stream>;
using TlsSession = Session<beast::ssl_stream<beast::tcp_stream>>;

extern template class Session<beast::tcp_stream>;
extern template class Session<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace conveyor::serving
