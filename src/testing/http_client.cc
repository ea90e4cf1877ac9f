#include "testing/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace conveyor::testing {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string HttpReply::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

// Every operation is asynchronous on a private io_context, bounded by the
// tcp_stream's timer, and run to completion before the call returns.
struct HttpClient::Impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout{0};

  void RunToCompletion() {
    ioc.restart();
    ioc.run();
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Connect(uint16_t port,
                                                        std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->timeout = timeout;
  beast::error_code result;
  impl->stream.expires_after(timeout);
  impl->stream.async_connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port),
                             [&result](beast::error_code ec) { result = ec; });
  impl->RunToCompletion();
  if (result) {
    return Error(Code::kUnavailable, "connect to 127.0.0.1:{}: {}", port, result.message());
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Status HttpClient::Write(std::string_view bytes) {
  beast::error_code result;
  impl_->stream.expires_after(impl_->timeout);
  net::async_write(impl_->stream, net::buffer(bytes.data(), bytes.size()),
                   [&result](beast::error_code ec, size_t /*n*/) { result = ec; });
  impl_->RunToCompletion();
  if (result) {
    return Error(Code::kUnavailable, "write: {}", result.message());
  }
  return OkStatus();
}

Result<HttpReply> HttpClient::ReadReply(bool head) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(uint64_t{64} * 1024 * 1024);
  parser.skip(head);
  beast::error_code result;
  impl_->stream.expires_after(impl_->timeout);
  http::async_read(impl_->stream, impl_->buffer, parser,
                   [&result](beast::error_code ec, size_t /*n*/) { result = ec; });
  impl_->RunToCompletion();
  if (result) {
    return Error(Code::kUnavailable, "read reply: {}", result.message());
  }
  auto message = parser.release();
  HttpReply reply;
  reply.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    reply.headers[name] = std::string(field.value());
  }
  reply.body = std::move(message.body());
  reply.keep_alive = message.keep_alive();
  return reply;
}

Result<HttpReply> HttpClient::Request(std::string_view method, std::string_view target,
                                      std::string_view body, const Headers& headers) {
  std::string text = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, target);
  for (const auto& [name, value] : headers) {
    text += fmt::format("{}: {}\r\n", name, value);
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    text += fmt::format("Content-Length: {}\r\n", body.size());
  }
  text += "\r\n";
  text += body;
  RETURN_IF_ERROR(Write(text));
  return ReadReply(method == "HEAD");
}

bool HttpClient::ClosedByPeer(std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  std::array<char, 4096> discard{};
  while (true) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) {
      return false;
    }
    beast::error_code result;
    impl_->stream.expires_after(left);
    impl_->stream.async_read_some(net::buffer(discard),
                                  [&result](beast::error_code ec, size_t /*n*/) { result = ec; });
    impl_->RunToCompletion();
    if (result == beast::error::timeout) {
      return false;
    }
    if (result) {
      return true;  // end of stream, reset
    }
  }
}

}  // namespace conveyor::testing
