// The HTTP/1.1 transport of `conveyor serve`: an asynchronous Boost.Beast
// server (after Beast's advanced server example: a listener, a session per
// connection with timeouts, a body limit and a pipelining cap) in front of a
// Router. Beast stays in http_server.cc; handlers see only http_types.h.
//
//   Router router;  // routes added here, before Start
//   AccessLog log(sink);
//   HttpServer server(router, {&log});
//   RETURN_IF_ERROR(server.Start({.port = 8000}));
//   ... until SIGINT (InterruptSignal() != 0) ...
//   server.Stop(std::chrono::seconds(10));
//   server.Wait();
//
// Handlers run on the I/O threads and may block: the model work is CPU-bound
// and short, so `threads` I/O threads are also the handler pool. A handler
// blocks only its own connection (each connection is a strand); with all
// threads busy, other connections wait. An exception from a handler becomes a
// 500 "internal" error, is written to the error log, and the server goes on.
//
// Every response carries `Server` and `X-Request-Id` (the client's, when it
// sent a sane one: 1-128 printable ASCII characters; otherwise generated as
// "<8 random hex digits per server>-<counter in hex>").
//
// Thread safety: Start, Stop and Wait may be called from any thread, but not
// concurrently with each other except Wait. The router and the observers must
// outlive the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "serving/request_authorizer.h"
#include "serving/request_observer.h"
#include "serving/router.h"

namespace conveyor::serving {

class TlsCredentials;

struct HttpServerOptions {
  // Address to bind. Default: loopback only; "0.0.0.0" to serve the network.
  std::string address = "127.0.0.1";
  // TCP port; 0 picks a free one (see HttpServer::port()).
  uint16_t port = 8000;
  // I/O (and handler) threads; 0 means std::thread::hardware_concurrency().
  int threads = 0;
  // Largest request body accepted. Bigger: 413 "payload_too_large", decided
  // from Content-Length before the body is read, or once a chunked body
  // passes the limit; the connection is then closed.
  size_t body_limit = size_t{10} * 1024 * 1024;
  // Largest request line plus headers. Bigger: 431 and close.
  size_t header_limit = size_t{16} * 1024;
  // Time to receive a whole request header (from the first byte of the
  // request, or from accept for the first request). Slower: disconnected.
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  // Time to receive the body once the header is in. Slower: disconnected.
  std::chrono::milliseconds body_timeout = std::chrono::seconds(30);
  // How long a keep-alive connection may sit idle between requests.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  // Time to write one response to a client that reads slowly.
  std::chrono::milliseconds write_timeout = std::chrono::seconds(30);
  // Responses queued on one connection (HTTP pipelining) before the server
  // stops reading further requests from it until some are written.
  size_t pipeline_limit = 8;
  // Open connections. Beyond this, a new connection is answered
  // "503 service_unavailable" (with Retry-After: 1 and Connection: close) and
  // closed, without reading its request.
  size_t max_connections = 1024;
  std::string server_name = "conveyor";
  // Asked for every request once its header is parsed and routed, before the
  // body is read (request_authorizer.h). A denied request is answered with
  // the authorizer's response; when it has a body still to come, the body is
  // not read and the connection is closed after the answer (the client gets
  // the answer, not a reset: see kLingerBytes). Not owned; must outlive the
  // server. Default (null): every request is allowed.
  const RequestAuthorizer* authorizer = nullptr;
  // TLS: when set, the port speaks HTTPS only, with the credentials'
  // current certificate (see TlsCredentials::Reload); a plain-HTTP request
  // to it gets a plain-text 400 naming https. Not owned; must outlive the
  // server. Default (null): plain HTTP, e.g. behind a TLS-terminating proxy.
  const TlsCredentials* tls = nullptr;
  // Where handler exceptions and transport errors are reported, one line each.
  // Default (empty): standard error.
  std::function<void(std::string_view)> error_log;
};

class HttpServer {
 public:
  // `router` and `observers` are not owned and must outlive the server.
  explicit HttpServer(const Router& router, std::vector<RequestObserver*> observers = {});
  // Stops (without grace) and waits if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads. kInvalid for bad options,
  // kIo when the address cannot be bound ("127.0.0.1:8000: Address already in
  // use"). Call at most once.
  Status Start(const HttpServerOptions& options);

  // The bound port (useful after Start with port 0); 0 before Start.
  uint16_t port() const;

  // Graceful shutdown: stops accepting; closes idle connections and those
  // still sending a request header; lets requests already being read or
  // handled finish and be answered (with Connection: close) until `grace`
  // has passed; then closes whatever is left and stops the I/O threads.
  // Returns when that is done (a handler still running keeps its thread
  // until it returns; Wait() joins it). Idempotent. Not from a handler (it
  // would wait for its own request).
  void Stop(std::chrono::milliseconds grace);

  // Blocks until the I/O threads have exited (after Stop, from any thread).
  void Wait();

  // Currently open connections (not counting ones refused by the cap).
  size_t open_connections() const;
  // Connections refused with 503 because of max_connections, since Start.
  uint64_t rejected_connections() const;
  // Requests being routed and handled right now (from the handler's call to
  // its return; a request waiting in a pipeline queue or being written is not
  // counted). Lock-free: one relaxed atomic load.
  int64_t requests_in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace conveyor::serving
