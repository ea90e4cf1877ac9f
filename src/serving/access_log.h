// The access log: a RequestObserver that writes one JSON object per request,
// one per line (JSON Lines). JSON rather than logfmt because paths and ids
// come from clients: JSON's escaping is unambiguous and every log shipper and
// `jq` read it. Fields, in this order:
//
//   {"ts":"2026-01-31T12:00:00.123Z","request_id":"1a2b3c4d-2a","remote":"127.0.0.1:53122",
//    "principal":"ci-deployer","method":"POST","route":"/v2/models/{name}/infer",
//    "path":"/v2/models/digits/infer","status":200,"bytes_in":1834,"bytes_out":152,
//    "duration_ms":1.234}
//
// ts is the UTC time the request started, with milliseconds; duration_ms has
// microsecond resolution. "principal", the name of the token the request was
// authorized with, appears only when a token was checked. Invalid UTF-8 in a
// path is replaced (U+FFFD).
//
// Lines written to a stream are buffered: they go out in one write when
// `buffer_bytes` have collected, at the latest `flush_interval` after the
// first of them, and when the log is flushed or destroyed. At thousands of
// requests per second a write per line would cost a system call and a lock
// hand-over per request; this costs one per batch. A crash loses at most the
// last `flush_interval` of lines; a graceful shutdown loses none. Each line
// is written whole.
//
// Thread safety: OnRequest and Flush may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

#include "serving/request_observer.h"

namespace conveyor::serving {

// The line for `record`, without the trailing newline.
std::string FormatAccessLogLine(const RequestRecord& record);

struct AccessLogOptions {
  std::chrono::milliseconds flush_interval{200};
  size_t buffer_bytes = size_t{64} * 1024;
};

class AccessLog : public RequestObserver {
 public:
  // `sink` receives each line including its '\n', one call per request,
  // unbuffered.
  explicit AccessLog(std::function<void(std::string_view line)> sink);
  // Buffered writes to `out`, which must outlive the log.
  explicit AccessLog(std::ostream& out, AccessLogOptions options = {});
  ~AccessLog() override;
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void OnRequest(const RequestRecord& record) override;
  // Writes out whatever is buffered.
  void Flush();

 private:
  void FlushLoop();

  std::function<void(std::string_view)> sink_;  // unbuffered mode
  std::ostream* out_ = nullptr;                 // buffered mode
  AccessLogOptions options_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::string buffer_;   // guarded by mu_
  bool stop_ = false;    // guarded by mu_
  std::mutex write_mu_;  // keeps batches in order; taken before mu_
  std::thread flusher_;
};

}  // namespace conveyor::serving
