#include "serving/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cctype>

#include "serving/http_target.h"

namespace conveyor::serving {

namespace {

constexpr size_t kReadChunk = 4096;
constexpr std::string_view kNotRouted = "-";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr unsigned char kTlsHandshakeRecord = 0x16;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string_view View(beast::string_view text) { return {text.data(), text.size()}; }

bool SaneRequestId(std::string_view id) {
  return !id.empty() && id.size() <= 128 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::string ServerCore::NewRequestId() {
  return fmt::format("{}-{:x}", id_prefix_, next_id_.fetch_add(1, std::memory_order_relaxed));
}

void ServerCore::Report(const RequestRecord& record) {
  for (RequestObserver* observer : observers_) {
    try {
      observer->OnRequest(record);
    } catch (const std::exception& e) {
      LogError(fmt::format("http server: request observer threw: {}", e.what()));
    }
  }
}

void ServerCore::LogError(std::string_view line) const { options_.error_log(line); }

void ServerCore::Register(const std::shared_ptr<SessionBase>& session) {
  std::lock_guard lock(mu_);
  sessions_[session.get()] = session;
}

void ServerCore::Unregister(SessionBase* session) {
  std::lock_guard lock(mu_);
  sessions_.erase(session);
  sessions_changed_.notify_all();
}

size_t ServerCore::open_connections() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

std::vector<std::shared_ptr<SessionBase>> ServerCore::LiveSessions() const {
  std::vector<std::shared_ptr<SessionBase>> live;
  std::lock_guard lock(mu_);
  for (const auto& [key, weak] : sessions_) {
    if (auto session = weak.lock()) {
      live.push_back(std::move(session));
    }
  }
  // Released outside the lock by the caller: a last reference dropped here
  // would run ~Session, which takes mu_.
  return live;
}

bool ServerCore::WaitForNoSessions(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return sessions_changed_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
}

template <class Stream>
Session<Stream>::~Session() {
  core_.Unregister(this);
}

template <class Stream>
void Session<Stream>::Run() {
  net::dispatch(stream_.get_executor(), [self = Self()] {
    if constexpr (kTls)
      self->StartHandshake();
    else
      self->StartRead();
  });
}

template <class Stream>
void Session<Stream>::StartHandshake() {
  reading_ = true;
  Lowest().expires_after(core_.options().header_timeout);
  Lowest().async_read_some(
      buffer_.prepare(kReadChunk),
      [self = Self()](beast::error_code ec, size_t bytes) { self->OnClientHello(ec, bytes); });
}

template <class Stream>
void Session<Stream>::OnClientHello(beast::error_code ec, size_t bytes) {
  reading_ = false;
  if (ec || closed_ || core_.stopping()) {
    HardClose();
    return;
  }
  buffer_.commit(bytes);
  if constexpr (kTls) {
    // Every TLS connection opens with a handshake record (content type 22).
    if (static_cast<const unsigned char*>(buffer_.data().data())[0] != kTlsHandshakeRecord) {
      RefusePlainHttp();
      return;
    }
    reading_ = true;
    encrypted_ = true;
    stream_.async_handshake(net::ssl::stream_base::server, buffer_.data(),
                            [self = Self()](beast::error_code handshake_ec, size_t used) {
                              self->OnHandshake(handshake_ec, used);
                            });
  }
}

template <class Stream>
void Session<Stream>::OnHandshake(beast::error_code ec, size_t used) {
  reading_ = false;
  if (ec || closed_) {
    // Not logged: scanners and clients that distrust the certificate do
    // this all day; the client sees the reason.
    HardClose();
    return;
  }
  buffer_.consume(used);
  StartRead();
}

template <class Stream>
void Session<Stream>::RefusePlainHttp() {
  read_done_ = true;
  writing_ = true;
  HttpResponse refusal =
      JsonError(400, "bad_request", "this port speaks HTTPS: send the request to https:// instead");
  auto text = std::make_shared<std::string>(
      FormatClosingResponse(refusal, "Bad Request", core_.options().server_name));
  Lowest().expires_after(core_.options().write_timeout);
  net::async_write(Lowest(), net::buffer(*text),
                   [self = Self(), text](beast::error_code ec, size_t /*n*/) {
                     self->writing_ = false;
                     if (ec) {
                       self->HardClose();
                       return;
                     }
                     // Drain what the client is still sending (an upload),
                     // in the clear, so it reads the answer, not a reset.
                     self->Close();
                   });
}

template <class Stream>
void Session<Stream>::OnServerStop() {
  net::post(stream_.get_executor(), [self = Self()] { self->DoServerStop(); });
}

template <class Stream>
void Session<Stream>::ForceClose() {
  net::post(stream_.get_executor(), [self = Self()] { self->HardClose(); });
}

template <class Stream>
void Session<Stream>::StartRead() {
  if (closed_ || read_done_ || reading_) {
    return;
  }
  if (core_.stopping()) {
    read_done_ = true;
    MaybeFinish();
    return;
  }
  if (queue_.size() >= core_.options().pipeline_limit) {
    return;  // OnWrite resumes reading
  }
  if (buffer_.size() > 0) {
    ReadHeader();
    return;
  }
  // Wait for the first byte of the next request: the idle timeout between
  // keep-alive requests, the header timeout on a fresh connection.
  reading_ = true;
  Lowest().expires_after(first_request_ ? core_.options().header_timeout
                                        : core_.options().idle_timeout);
  stream_.async_read_some(
      buffer_.prepare(kReadChunk),
      [self = Self()](beast::error_code ec, size_t bytes) { self->OnFirstBytes(ec, bytes); });
}

template <class Stream>
void Session<Stream>::OnFirstBytes(beast::error_code ec, size_t bytes) {
  reading_ = false;
  if (closed_) {
    AfterCloseRead(ec);
    return;
  }
  if (ec) {
    OnReadError(ec);
    return;
  }
  buffer_.commit(bytes);
  ReadHeader();
}

template <class Stream>
void Session<Stream>::ReadHeader() {
  reading_ = true;
  first_request_ = false;
  request_bytes_ = 0;
  start_ = std::chrono::steady_clock::now();
  wall_start_ = std::chrono::system_clock::now();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(core_.options().header_limit));
  parser_->body_limit(core_.options().body_limit);
  Lowest().expires_after(core_.options().header_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = Self()](beast::error_code ec, size_t bytes) { self->OnHeader(ec, bytes); });
}

template <class Stream>
bool Session<Stream>::ReadSucceeded(beast::error_code ec, size_t bytes) {
  reading_ = false;
  request_bytes_ += bytes;
  if (closed_) {
    AfterCloseRead(ec);
    return false;
  }
  if (ec) {
    OnReadError(ec);
    return false;
  }
  return true;
}

template <class Stream>
void Session<Stream>::OnHeader(beast::error_code ec, size_t bytes) {
  if (!ReadSucceeded(ec, bytes))
    return;
  RouteHeader();
  if (parser_->is_done()) {
    OnRequest();
    return;
  }
  if (early_ != nullptr) {
    // Denied (or a bad target) with a body to come: answer without reading
    // it, and close, so a stranger cannot make us buffer an upload.
    std::unique_ptr<HttpResponse> response = std::move(early_);
    RespondAndClose(std::move(*response));
    return;
  }
  in_body_ = true;
  const auto& header = parser_->get();
  if (!writing_ && queue_.empty() && beast::iequals(header[http::field::expect], "100-continue")) {
    // Without this, curl waits a second before sending a large body.
    writing_ = true;
    Lowest().expires_after(core_.options().write_timeout);
    net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = Self()](beast::error_code write_ec, size_t /*n*/) {
                       self->writing_ = false;
                       if (write_ec || self->closed_) {
                         self->HardClose();
                         return;
                       }
                       self->ReadBody();
                     });
    return;
  }
  ReadBody();
}

template <class Stream>
void Session<Stream>::ReadBody() {
  reading_ = true;
  Lowest().expires_after(core_.options().body_timeout);
  http::async_read(stream_, buffer_, *parser_, [self = Self()](beast::error_code ec, size_t bytes) {
    self->OnBody(ec, bytes);
  });
}

template <class Stream>
void Session<Stream>::OnBody(beast::error_code ec, size_t bytes) {
  in_body_ = false;
  if (!ReadSucceeded(ec, bytes))
    return;
  OnRequest();
}

template <class Stream>
void Session<Stream>::OnReadError(beast::error_code ec) {
  in_body_ = false;
  if (ec == http::error::body_limit) {
    RespondEarly(
        413, "payload_too_large",
        fmt::format("the request body exceeds the limit of {} bytes", core_.options().body_limit));
  } else if (ec == http::error::header_limit) {
    RespondEarly(431, "header_too_large",
                 fmt::format("the request header exceeds the limit of {} bytes",
                             core_.options().header_limit));
  } else if (ec == http::error::end_of_stream || ec == net::error::eof ||
             ec == net::ssl::error::stream_truncated) {
    // The client closed its side between requests: answer what is queued.
    read_done_ = true;
    MaybeFinish();
  } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
             ec != http::error::partial_message) {
    RespondEarly(400, "bad_request", fmt::format("malformed request: {}", ec.message()));
  } else {
    // Timeouts (the stream has closed the socket), resets, half a request.
    HardClose();
  }
}

template <class Stream>
void Session<Stream>::RespondEarly(int status, std::string_view code, std::string_view message) {
  read_done_ = true;
  if (!parser_) {
    HardClose();
    return;
  }
  Pending pending;
  pending.route = kNotRouted;
  pending.request_bytes = request_bytes_;
  pending.start = start_;
  pending.wall_start = wall_start_;
  const auto& header = parser_->get();
  if (parser_->got_some() && !header.target().empty()) {
    HttpRequest probe;
    probe.method = std::string(header.method_string());
    probe.target = std::string(header.target());
    Result<ParsedTarget> target = ParseTarget(probe.target);
    if (target.ok()) {
      probe.path = target->path;
      pending.route = core_.router().Route(probe).pattern;
      pending.path = std::move(probe.path);
    }
    pending.method = std::move(probe.method);
  }
  pending.request_id = RequestIdFrom(header);
  Enqueue(JsonError(status, code, message), std::move(pending), /*keep_alive=*/false,
          /*head=*/false, 11);
}

template <class Stream>
void Session<Stream>::RouteHeader() {
  const auto& header = parser_->get();
  request_ = HttpRequest();
  request_.method = std::string(header.method_string());
  request_.target = std::string(header.target());
  early_.reset();
  principal_ = {};
  Result<ParsedTarget> target = ParseTarget(request_.target);
  if (target.ok()) {
    request_.path = std::move(target->path);
    request_.query = std::move(target->query);
    match_ = core_.router().Route(request_);
  } else {
    match_ = RouteMatch();
  }
  if (const RequestAuthorizer* authorizer = core_.options().authorizer; authorizer != nullptr) {
    auto it = header.find(http::field::authorization);
    AuthResult auth =
        authorizer->Authorize(match_, it == header.end() ? std::string_view() : View(it->value()));
    principal_ = auth.principal;
    early_ = std::move(auth.denial);
  }
  if (early_ == nullptr && !target.ok())
    early_ =
        std::make_unique<HttpResponse>(JsonError(400, "bad_request", target.status().message()));
}

template <class Stream>
void Session<Stream>::RespondAndClose(HttpResponse response) {
  read_done_ = true;
  const auto& header = parser_->get();
  Pending pending;
  pending.route = request_.path.empty() ? kNotRouted : match_.pattern;
  pending.method = request_.method;
  pending.path = request_.path;
  pending.principal = principal_;
  pending.request_id = RequestIdFrom(header);
  pending.request_bytes = request_bytes_;
  pending.start = start_;
  pending.wall_start = wall_start_;
  Enqueue(std::move(response), std::move(pending), /*keep_alive=*/false, /*head=*/false,
          header.version());
}

template <class Stream>
std::string Session<Stream>::RequestIdFrom(
    const http::request_parser<http::string_body>::value_type& message) {
  auto it = message.find("x-request-id");
  if (it != message.end() && SaneRequestId(View(it->value()))) {
    return std::string(it->value());
  }
  return core_.NewRequestId();
}

template <class Stream>
void Session<Stream>::OnRequest() {
  http::request<http::string_body> message = parser_->release();
  HttpRequest request = std::move(request_);
  for (const auto& field : message) {
    std::string& value = request.headers[Lower(View(field.name_string()))];
    value += value.empty() ? std::string(field.value()) : ", " + std::string(field.value());
  }
  request.request_id = RequestIdFrom(message);
  request.remote = remote_;
  request.body = std::move(message.body());
  request.principal = principal_;

  Pending pending;
  pending.route = request.path.empty() ? kNotRouted : match_.pattern;
  pending.principal = principal_;
  HttpResponse response;
  const ServerCore::InFlight in_flight(core_);
  if (early_ != nullptr) {
    response = std::move(*early_);
    early_.reset();
  } else if (match_.handler == nullptr) {
    response = std::move(match_.error);
  } else {
    try {
      response = (*match_.handler)(request);
    } catch (const std::exception& e) {
      core_.LogError(fmt::format("request {}: {} {} (route {}): handler threw: {}",
                                 request.request_id, request.method, request.path, match_.pattern,
                                 e.what()));
      response = JsonError(500, "internal",
                           fmt::format("internal error (request id {})", request.request_id));
    } catch (...) {
      core_.LogError(fmt::format("request {}: {} {} (route {}): handler threw", request.request_id,
                                 request.method, request.path, match_.pattern));
      response = JsonError(500, "internal",
                           fmt::format("internal error (request id {})", request.request_id));
    }
  }
  // Decided after the handler: a Stop() meanwhile closes the connection.
  bool keep_alive = message.keep_alive() && !core_.stopping();
  if (!keep_alive) {
    read_done_ = true;
  }
  pending.method = request.method;
  pending.path = request.path;
  pending.request_id = request.request_id;
  pending.request_bytes = request_bytes_;
  pending.start = start_;
  pending.wall_start = wall_start_;
  Enqueue(std::move(response), std::move(pending), keep_alive, request.method == "HEAD",
          message.version());
  StartRead();
}

template <class Stream>
void Session<Stream>::Enqueue(HttpResponse response, Pending pending, bool keep_alive, bool head,
                              unsigned version) {
  if (response.status < 200 || response.status > 599) {
    core_.LogError(fmt::format("request {}: handler returned status {}; sending 500",
                               pending.request_id, response.status));
    response = JsonError(500, "internal", "the handler returned an invalid status");
  }
  pending.error_kind = std::move(response.error_kind);
  auto& out = pending.response;
  out.version(version);
  out.result(static_cast<unsigned>(response.status));
  out.set(http::field::server, core_.options().server_name);
  out.set("X-Request-Id", pending.request_id);
  for (auto& [name, value] : response.headers) {
    out.insert(name, value);
  }
  bool no_body = response.status == 204 || response.status == 304;
  if (!no_body) {
    out.set(http::field::content_type, response.content_type);
    if (head) {
      out.content_length(response.body.size());
    } else {
      out.body() = std::move(response.body);
      out.prepare_payload();
    }
  }
  out.keep_alive(keep_alive);
  queue_.push_back(std::move(pending));
  if (!writing_) {
    DoWrite();
  }
}

template <class Stream>
void Session<Stream>::DoWrite() {
  writing_ = true;
  Lowest().expires_after(core_.options().write_timeout);
  http::async_write(
      stream_, queue_.front().response,
      [self = Self()](beast::error_code ec, size_t bytes) { self->OnWrite(ec, bytes); });
}

template <class Stream>
void Session<Stream>::OnWrite(beast::error_code ec, size_t bytes) {
  writing_ = false;
  Pending done = std::move(queue_.front());
  queue_.pop_front();
  RequestRecord record;
  record.route = done.route;
  record.method = done.method;
  record.path = done.path;
  record.status = static_cast<int>(done.response.result_int());
  record.request_bytes = done.request_bytes;
  record.response_bytes = bytes;
  record.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - done.start);
  record.start = done.wall_start;
  record.error_kind = done.error_kind;
  record.request_id = done.request_id;
  record.remote = remote_;
  record.principal = done.principal;
  core_.Report(record);
  if (ec) {
    HardClose();
    return;
  }
  if (done.response.need_eof()) {
    queue_.clear();
    read_done_ = true;
    Close();
    return;
  }
  if (closed_) {
    return;
  }
  if (!queue_.empty()) {
    DoWrite();
  }
  StartRead();
  MaybeFinish();
}

template <class Stream>
void Session<Stream>::DoServerStop() {
  if (closed_) {
    return;
  }
  read_done_ = true;
  if (in_body_) {
    return;  // the request is in flight: read, answer, then close
  }
  if (reading_) {
    // Idle or mid-header: end the pending read (it sees end of stream)
    // without disturbing a response being written.
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_receive, ignored);
    return;
  }
  MaybeFinish();
}

template <class Stream>
void Session<Stream>::MaybeFinish() {
  if (read_done_ && !reading_ && !writing_ && queue_.empty()) {
    Close();
  }
}

template <class Stream>
void Session<Stream>::Close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  beast::error_code ignored;
  Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
  if (!reading_) {
    Linger();
  }
}

template <class Stream>
void Session<Stream>::Linger() {
  reading_ = true;
  buffer_.clear();
  Lowest().expires_after(kLingerTimeout);
  auto on_read = [self = Self()](beast::error_code ec, size_t bytes) {
    self->reading_ = false;
    self->lingered_ += bytes;
    self->AfterCloseRead(ec);
  };
  // A TLS session refused before its handshake drains plain bytes.
  if (encrypted_)
    stream_.async_read_some(buffer_.prepare(kReadChunk), std::move(on_read));
  else
    Lowest().async_read_some(buffer_.prepare(kReadChunk), std::move(on_read));
}

template <class Stream>
void Session<Stream>::AfterCloseRead(beast::error_code ec) {
  if (ec || lingered_ > kLingerBytes) {
    HardClose();
  } else {
    Linger();
  }
}

template <class Stream>
void Session<Stream>::HardClose() {
  closed_ = true;
  Lowest().close();
}

template class Session<beast::tcp_stream>;
template class Session<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace conveyor::serving
