#include "serving/prediction_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iterator>
#include <system_error>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "common/json_text.h"
#include "common/stable_hash.h"
#include "common/utc_time.h"

namespace conveyor::serving {

namespace fs = std::filesystem;

namespace {

int64_t UnixMillis(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

// This machine's name, reduced to characters safe in a file name.
std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0')
    return "host";
  std::string safe;
  for (const char* c = name; *c != '\0'; ++c)
    safe += std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' ? *c : '_';
  return safe;
}

bool IsSegmentName(std::string_view name) {
  return name.starts_with(kPredictionSegmentPrefix) && name.ends_with(".jsonl");
}

// Writes all of `data` to `fd`; false with errno set on failure.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

PredictionLog::PredictionLog(PredictionLogOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<PredictionLog>> PredictionLog::Open(PredictionLogOptions options) {
  if (!(options.sample > 0.0 && options.sample <= 1.0)) {
    return Error(Code::kUsage, "the prediction log's sample rate must be in (0, 1], not {}",
                 options.sample);
  }
  if (options.segment_bytes == 0 || options.max_bytes < options.segment_bytes) {
    return Error(Code::kUsage,
                 "the prediction log's size limit ({} bytes) must be at least one segment ({} "
                 "bytes), and a segment more than 0 bytes",
                 options.max_bytes, options.segment_bytes);
  }
  std::error_code error;
  fs::create_directories(options.dir, error);
  if (error) {
    return Error(Code::kIo, "cannot create the prediction log directory {}: {}",
                 options.dir.string(), error.message());
  }
  std::unique_ptr<PredictionLog> log(new PredictionLog(std::move(options)));
  {
    std::lock_guard lock(log->file_mu_);
    RETURN_IF_ERROR(log->StartSegment());
    log->RemoveOldSegments();
  }
  PredictionLog* raw = log.get();
  log->buffer_ = std::make_unique<BufferedLines>(
      [raw](std::string_view batch) { raw->WriteBatch(batch); }, log->options_.buffering);
  return log;
}

PredictionLog::~PredictionLog() {
  buffer_.reset();  // flushes
  std::lock_guard lock(file_mu_);
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::string PredictionLog::Timestamp() const { return FormatUtcMillis(UnixMillis(options_.now())); }

bool PredictionLog::Sampled(std::string_view request_id) const {
  return StableHashBelow(request_id, options_.sample);
}

void PredictionLog::OnPredictions(const ServedModel& model, const FeatureRows& inputs,
                                  std::span<const Prediction> predictions,
                                  std::chrono::nanoseconds /*duration*/,
                                  std::string_view request_id) {
  if (!Sampled(request_id) || inputs.raw_cols == 0) {
    return;
  }
  const ModelIdentity& identity = model.identity();
  const std::string ts = Timestamp();
  std::string lines;
  lines.reserve(predictions.size() * (inputs.raw_cols * 4 + 256));
  for (size_t row = 0; row < predictions.size() && row < inputs.rows; ++row) {
    const Prediction& prediction = predictions[row];
    lines += "{\"ts\":\"";
    lines += ts;
    lines += "\",\"type\":\"prediction\",\"request_id\":";
    AppendJsonString(lines, request_id);
    fmt::format_to(std::back_inserter(lines), ",\"row\":{},\"model\":", row);
    AppendJsonString(lines, identity.name);
    fmt::format_to(std::back_inserter(lines), ",\"version\":{},\"tag\":", identity.version);
    AppendJsonString(lines, identity.experiment_tag);
    lines += ",\"predicted\":";
    AppendJsonString(lines, prediction.label);
    lines += ",\"confidence\":";
    const size_t index = static_cast<size_t>(prediction.class_index);
    AppendJsonNumber(
        lines, index < prediction.probabilities.size() ? prediction.probabilities[index] : 0.0F);
    fmt::format_to(std::back_inserter(lines), ",\"shape\":[{},{}],\"input\":[",
                   model.spec().input.rows, model.spec().input.cols);
    bool first = true;
    for (float value : inputs.raw_row(row)) {
      if (!first)
        lines += ',';
      first = false;
      AppendJsonNumber(lines, value);
    }
    lines += "]}\n";
  }
  lines_ += std::min(predictions.size(), inputs.rows);
  buffer_->Add(lines);
}

void PredictionLog::OnFeedback(std::string_view request_id, size_t row, std::string_view label,
                               const FeedbackResult& result) {
  // Unknown requests are logged too: another replica (sharing the
  // directory) may have made the prediction, or this one forgot it.
  if (!Sampled(request_id) || result.outcome == FeedbackOutcome::kDuplicate) {
    return;
  }
  std::string line = "{\"ts\":\"" + Timestamp() + "\",\"type\":\"feedback\",\"request_id\":";
  AppendJsonString(line, request_id);
  fmt::format_to(std::back_inserter(line), ",\"row\":{},\"label\":", row);
  AppendJsonString(line, label);
  line += ",\"outcome\":";
  AppendJsonString(line, FeedbackOutcomeName(result.outcome));
  if (!result.model.empty()) {
    line += ",\"model\":";
    AppendJsonString(line, result.model);
    fmt::format_to(std::back_inserter(line), ",\"version\":{}", result.model_version);
  }
  line += "}\n";
  ++lines_;
  buffer_->Add(line);
}

void PredictionLog::Flush() { buffer_->Flush(); }

PredictionLogStats PredictionLog::stats() const {
  return {.lines = lines_.load(), .dropped = dropped_.load(), .segments_removed = removed_.load()};
}

fs::path PredictionLog::current_segment() const {
  std::lock_guard lock(file_mu_);
  return segment_;
}

Status PredictionLog::StartSegment() {
  std::string stamp = FormatUtcMillis(UnixMillis(options_.now()));
  std::erase_if(stamp, [](char c) { return c == '-' || c == ':' || c == '.'; });
  // Unique across the replicas sharing the directory (host and process)
  // and across the logs of one process (a process-wide counter).
  static std::atomic<uint64_t> started{0};
  const fs::path path = options_.dir / fmt::format("{}{}-{}-{}-{}.jsonl", kPredictionSegmentPrefix,
                                                   stamp, HostName(), ::getpid(), ++started);
  // 0640: the segments hold what clients sent.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Error(Code::kIo, "cannot create prediction log segment {}: {}", path.string(),
                 ErrnoMessage());
  }
  // Held while the segment is written, so another replica's clean-up
  // (RemoveOldSegments) leaves it alone however old its name.
  ::flock(fd, LOCK_SH);
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = fd;
  segment_ = path;
  segment_size_ = 0;
  return OkStatus();
}

void PredictionLog::RemoveOldSegments() {
  struct Segment {
    fs::path path;
    uint64_t size;
  };
  std::vector<Segment> segments;
  uint64_t total = 0;
  std::error_code error;
  for (fs::directory_iterator it(options_.dir, error), end; !error && it != end;
       it.increment(error)) {
    if (!IsSegmentName(it->path().filename().string()))
      continue;
    std::error_code size_error;
    const uint64_t size = it->file_size(size_error);
    if (size_error)
      continue;  // removed meanwhile by another replica
    segments.push_back({it->path(), size});
    total += size;
  }
  std::sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) {
    return a.path.filename() < b.path.filename();
  });
  for (const Segment& segment : segments) {
    if (total <= options_.max_bytes)
      break;
    if (segment.path == segment_)
      continue;
    // A segment another process is writing holds a shared lock: skip it.
    const int fd = ::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      std::error_code remove_error;
      if (fs::remove(segment.path, remove_error) || !remove_error) {
        ++removed_;
        total -= segment.size;
      }
    }
    ::close(fd);
  }
}

void PredictionLog::WriteBatch(std::string_view batch) {
  std::lock_guard lock(file_mu_);
  if (fd_ < 0 || !WriteAll(fd_, batch)) {
    const std::string reason = fd_ < 0 ? "no segment open" : ErrnoMessage();
    dropped_ += static_cast<uint64_t>(std::count(batch.begin(), batch.end(), '\n'));
    if (!failing_ && options_.note) {
      options_.note(
          fmt::format("prediction log: cannot write {}: {}; lines are dropped until "
                      "writing works again",
                      segment_.string(), reason));
    }
    failing_ = true;
    // Cut off whatever part of the batch got in, so the segment never holds
    // a torn line in its middle; the next batch goes on from there.
    if (fd_ >= 0 && ::ftruncate(fd_, static_cast<off_t>(segment_size_)) != 0) {
      // Nothing more to do: the reader skips a torn last line.
    }
    return;
  }
  if (failing_ && options_.note) {
    options_.note(fmt::format("prediction log: writing to {} again", options_.dir.string()));
  }
  failing_ = false;
  segment_size_ += batch.size();
  if (segment_size_ >= options_.segment_bytes) {
    if (StartSegment().ok())
      RemoveOldSegments();
  }
}

}  // namespace conveyor::serving
