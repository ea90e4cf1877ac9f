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
// Lines written to a stream are buffered (buffered_lines.h): they go out in
// one write per batch, at the latest `flush_interval` after the first line of
// it. Each line is written whole.
//
// Thread safety: OnRequest and Flush may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include "serving/buffered_lines.h"
#include "serving/request_observer.h"

namespace conveyor::serving {

// The line for `record`, without the trailing newline.
std::string FormatAccessLogLine(const RequestRecord& record);

using AccessLogOptions = BufferedLinesOptions;

class AccessLog : public RequestObserver {
 public:
  // `sink` receives each line including its '\n', one call per request,
  // unbuffered.
  explicit AccessLog(std::function<void(std::string_view line)> sink);
  // Buffered writes to `out`, which must outlive the log.
  explicit AccessLog(std::ostream& out, AccessLogOptions options = {});

  void OnRequest(const RequestRecord& record) override;
  // Writes out whatever is buffered.
  void Flush();

 private:
  std::function<void(std::string_view)> sink_;  // unbuffered mode
  std::mutex sink_mu_;
  std::unique_ptr<BufferedLines> buffered_;  // buffered mode
};

}  // namespace conveyor::serving
