// Test helper: a small synchronous HTTP/1.1 client over one keep-alive
// connection to 127.0.0.1, every call bounded by a timeout. Boost-free
// header; Beast lives in http_client.cc.
//
// Thread safety: one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace conveyor::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;

  // The header's value or "" (name lower-case).
  std::string Header(const std::string& name) const;
};

class HttpClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Connects to 127.0.0.1:`port`. Every later call fails with kUnavailable
  // when it takes longer than `timeout`.
  static Result<std::unique_ptr<HttpClient>> Connect(
      uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (Host and Content-Length added) and reads its reply.
  Result<HttpReply> Request(std::string_view method, std::string_view target,
                            std::string_view body = "", const Headers& headers = {});
  // Writes raw bytes (for malformed, partial or pipelined requests).
  Status Write(std::string_view bytes);
  // Reads one reply. `head` for a reply to HEAD (no body follows).
  Result<HttpReply> ReadReply(bool head = false);
  // True when the server closes the connection within `within` (any bytes
  // it sends meanwhile are discarded).
  bool ClosedByPeer(std::chrono::milliseconds within);

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace conveyor::testing
