// The access log: a RequestObserver that writes one JSON object per request,
// one per line (JSON Lines), to a sink. JSON rather than logfmt because paths
// and ids come from clients: JSON's escaping is unambiguous and every log
// shipper and `jq` read it. Fields, in this order:
//
//   {"ts":"2026-01-31T12:00:00.123Z","request_id":"1a2b3c4d-2a","remote":"127.0.0.1:53122",
//    "method":"POST","route":"/v2/models/{name}/infer","path":"/v2/models/digits/infer",
//    "status":200,"bytes_in":1834,"bytes_out":152,"duration_ms":1.234}
//
// ts is the UTC time the request started, with milliseconds; duration_ms has
// microsecond resolution. Invalid UTF-8 in a path is replaced (U+FFFD).
//
// Thread safety: OnRequest may be called from any number of threads; each
// line reaches the sink whole, one sink call at a time (serialised by mu_).
#pragma once

#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include "serving/request_observer.h"

namespace conveyor::serving {

// The line for `record`, without the trailing newline.
std::string FormatAccessLogLine(const RequestRecord& record);

class AccessLog : public RequestObserver {
 public:
  // `sink` receives each line including its '\n'.
  explicit AccessLog(std::function<void(std::string_view line)> sink) : sink_(std::move(sink)) {}
  // Writes to `out` (flushed per line); `out` must outlive the log.
  explicit AccessLog(std::ostream& out);

  void OnRequest(const RequestRecord& record) override;

 private:
  std::mutex mu_;
  std::function<void(std::string_view)> sink_;  // guarded by mu_
};

}  // namespace conveyor::serving
