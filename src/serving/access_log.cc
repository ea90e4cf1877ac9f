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

AccessLog::AccessLog(std::ostream& out, AccessLogOptions options) : out_(&out), options_(options) {
  buffer_.reserve(options_.buffer_bytes);
  flusher_ = std::thread([this] { FlushLoop(); });
}

AccessLog::~AccessLog() {
  if (flusher_.joinable()) {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    flusher_.join();
  }
  if (out_ != nullptr) {
    Flush();
  }
}

void AccessLog::OnRequest(const RequestRecord& record) {
  std::string line = FormatAccessLogLine(record);
  line.push_back('\n');
  if (out_ == nullptr) {
    std::lock_guard lock(mu_);
    sink_(line);
    return;
  }
  bool full = false;
  {
    std::lock_guard lock(mu_);
    const bool was_empty = buffer_.empty();
    buffer_ += line;
    full = buffer_.size() >= options_.buffer_bytes;
    if (was_empty && !full) {
      wake_.notify_one();  // starts the flush interval
    }
  }
  if (full) {
    Flush();
  }
}

void AccessLog::Flush() {
  if (out_ == nullptr) {
    return;
  }
  std::lock_guard write_lock(write_mu_);
  std::string batch;
  batch.reserve(options_.buffer_bytes);
  {
    std::lock_guard lock(mu_);
    batch.swap(buffer_);
  }
  if (!batch.empty()) {
    out_->write(batch.data(), static_cast<std::streamsize>(batch.size())).flush();
  }
}

void AccessLog::FlushLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait(lock, [this] { return stop_ || !buffer_.empty(); });
    if (stop_) {
      return;
    }
    // Lines are waiting: give others the interval to join them.
    wake_.wait_for(lock, options_.flush_interval, [this] { return stop_; });
    lock.unlock();
    Flush();
    lock.lock();
  }
}

}  // namespace conveyor::serving
