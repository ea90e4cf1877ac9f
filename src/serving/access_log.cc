#include "serving/access_log.h"

#include <fmt/format.h>

#include <iterator>

#include "common/json_text.h"
#include "common/utc_time.h"

namespace conveyor::serving {

std::string FormatAccessLogLine(const RequestRecord& record) {
  std::string line;
  line.reserve(256);
  line += "{\"ts\":\"";
  line += FormatUtcMillis(
      std::chrono::duration_cast<std::chrono::milliseconds>(record.start.time_since_epoch())
          .count());
  line += "\",\"request_id\":";
  AppendJsonString(line, record.request_id);
  line += ",\"remote\":";
  AppendJsonString(line, record.remote);
  if (!record.principal.empty()) {
    line += ",\"principal\":";
    AppendJsonString(line, record.principal);
  }
  line += ",\"method\":";
  AppendJsonString(line, record.method);
  line += ",\"route\":";
  AppendJsonString(line, record.route);
  line += ",\"path\":";
  AppendJsonString(line, record.path);
  fmt::format_to(std::back_inserter(line), ",\"status\":{},\"bytes_in\":{},\"bytes_out\":{}",
                 record.status, record.request_bytes, record.response_bytes);
  line += ",\"duration_ms\":";
  AppendJsonNumber(line, static_cast<double>(record.duration.count()) / 1000.0);
  line += '}';
  return line;
}

AccessLog::AccessLog(std::function<void(std::string_view line)> sink) : sink_(std::move(sink)) {}

AccessLog::AccessLog(std::ostream& out, AccessLogOptions options)
    : buffered_(std::make_unique<BufferedLines>(
          [&out](std::string_view batch) {
            out.write(batch.data(), static_cast<std::streamsize>(batch.size())).flush();
          },
          options)) {}

void AccessLog::OnRequest(const RequestRecord& record) {
  std::string line = FormatAccessLogLine(record);
  line.push_back('\n');
  if (buffered_ != nullptr) {
    buffered_->Add(line);
    return;
  }
  std::lock_guard lock(sink_mu_);
  sink_(line);
}

void AccessLog::Flush() {
  if (buffered_ != nullptr) {
    buffered_->Flush();
  }
}

}  // namespace conveyor::serving
