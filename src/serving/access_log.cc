#include "serving/access_log.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "common/utc_time.h"

namespace conveyor::serving {

std::string FormatAccessLogLine(const RequestRecord& record) {
  // ordered_json keeps the documented field order.
  nlohmann::ordered_json line;
  line["ts"] = FormatUtcMillis(
      std::chrono::duration_cast<std::chrono::milliseconds>(record.start.time_since_epoch())
          .count());
  line["request_id"] = record.request_id;
  line["remote"] = record.remote;
  line["method"] = record.method;
  line["route"] = record.route;
  line["path"] = record.path;
  line["status"] = record.status;
  line["bytes_in"] = record.request_bytes;
  line["bytes_out"] = record.response_bytes;
  line["duration_ms"] = static_cast<double>(record.duration.count()) / 1000.0;
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

AccessLog::AccessLog(std::ostream& out)
    : sink_([&out](std::string_view line) { out.write(line.data(), line.size()).flush(); }) {}

void AccessLog::OnRequest(const RequestRecord& record) {
  std::string line = FormatAccessLogLine(record);
  line.push_back('\n');
  std::lock_guard lock(mu_);
  sink_(line);
}

}  // namespace conveyor::serving
