#include "serving/access_log.h"

#include <fmt/core.h>

#include <ctime>
#include <nlohmann/json.hpp>

namespace conveyor::serving {

namespace {

std::string FormatTimestamp(std::chrono::system_clock::time_point time) {
  auto since_epoch = time.time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     millis.count());
}

}  // namespace

std::string FormatAccessLogLine(const RequestRecord& record) {
  // ordered_json keeps the documented field order.
  nlohmann::ordered_json line;
  line["ts"] = FormatTimestamp(record.start);
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
