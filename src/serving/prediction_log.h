// PredictionLog: the server's predictions and the labels clients send back,
// kept on disk as a dataset a retraining pipeline can learn from (`conveyor
// feedback export` turns it into a samples or CSV file; prediction_dataset.h).
//
// Layout: JSON Lines in segment files under one directory,
//   predictions-<UTC start, 20261128T010203123Z>-<host>-<pid>-<n>.jsonl
// so names sort in the order they were started, and several replicas may
// share the directory. Two kinds of line:
//
//   {"ts":"2026-11-28T01:02:03.123Z","type":"prediction","request_id":"1a2b-7",
//    "row":0,"model":"digits","version":3,"tag":"a1b2c3d","predicted":"7",
//    "confidence":0.981,"shape":[20,20],"input":[0,0,12,…]}
//   {"ts":"…","type":"feedback","request_id":"1a2b-7","row":0,"label":"1",
//    "outcome":"wrong","model":"digits","version":3}
//
// `input` is the row's raw input (pixels 0..255, row-major, before the
// model's preprocessing): what the pipeline's first stage reads, so a
// retrained model may preprocess differently. A feedback line is written
// for every valid label but a duplicate, also for a request this replica
// does not remember (outcome "unknown_request", no model): another replica
// sharing the directory may have logged the prediction, and the export
// joins by request id and time.
//
// Sampled: a request is logged, all its rows, when a stable hash of its id
// (common/stable_hash.h) falls under `sample`; its feedback is logged by the same rule, so a logged
// label always has its logged input. Bounded: a segment is closed when it
// passes `segment_bytes`, and the oldest segments in the directory are
// removed while the directory's segments exceed `max_bytes` — never one
// being written, by this process or another (a writer holds a shared flock
// on its segment; the remover needs an exclusive one). Lines are written in batches
// (buffered_lines.h), so a crash loses at most the last flush interval, and the reader skips a torn
// last line. A failing write (a full disk) drops the batch (cutting off any
// part of it that got in), is counted and said once; it never fails a
// prediction. Segments are created 0640: they hold what clients sent.
//
// Thread safety: OnPredictions, OnFeedback, Flush and stats may be called
// from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "serving/buffered_lines.h"
#include "serving/feedback_tracker.h"
#include "serving/prediction_observer.h"

namespace conveyor::serving {

// "predictions-"; segments end in ".jsonl".
inline constexpr std::string_view kPredictionSegmentPrefix = "predictions-";

struct PredictionLogOptions {
  std::filesystem::path dir;
  double sample = 1.0;  // share of requests logged, 0 < sample <= 1
  uint64_t segment_bytes = uint64_t{64} << 20;
  uint64_t max_bytes = uint64_t{1} << 30;  // all segments in `dir`
  BufferedLinesOptions buffering;
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
  // Receives a line for each event worth logging (a failing disk, its
  // recovery). May be empty.
  std::function<void(std::string_view)> note;
};

struct PredictionLogStats {
  uint64_t lines = 0;    // handed to the writer
  uint64_t dropped = 0;  // lost to failed writes
  uint64_t segments_removed = 0;
};

class PredictionLog : public PredictionObserver {
 public:
  // Creates `dir` if needed and starts a segment; removes the oldest
  // segments already there beyond max_bytes. Errors: a bad option, a
  // directory that cannot be created or written.
  static Result<std::unique_ptr<PredictionLog>> Open(PredictionLogOptions options);
  // Writes out what is buffered and closes the segment.
  ~PredictionLog() override;
  PredictionLog(const PredictionLog&) = delete;
  PredictionLog& operator=(const PredictionLog&) = delete;

  void OnPredictions(const ServedModel& model, const FeatureRows& inputs,
                     std::span<const Prediction> predictions, std::chrono::nanoseconds duration,
                     std::string_view request_id) override;

  // The label a client sent for row `row` of `request_id`, with the
  // tracker's verdict; duplicates are not logged.
  void OnFeedback(std::string_view request_id, size_t row, std::string_view label,
                  const FeedbackResult& result);

  // Whether requests with this id are logged (stable across runs).
  bool Sampled(std::string_view request_id) const;

  // Writes out what is buffered.
  void Flush();
  PredictionLogStats stats() const;
  // The segment being written.
  std::filesystem::path current_segment() const;

 private:
  explicit PredictionLog(PredictionLogOptions options);
  Status StartSegment();     // requires file_mu_
  void RemoveOldSegments();  // requires file_mu_
  void WriteBatch(std::string_view batch);
  std::string Timestamp() const;

  const PredictionLogOptions options_;

  mutable std::mutex file_mu_;
  int fd_ = -1;                    // guarded by file_mu_
  std::filesystem::path segment_;  // guarded by file_mu_
  uint64_t segment_size_ = 0;      // guarded by file_mu_
  bool failing_ = false;           // guarded by file_mu_
  std::atomic<uint64_t> lines_ = 0;
  std::atomic<uint64_t> dropped_ = 0;
  std::atomic<uint64_t> removed_ = 0;
  // Last: destroyed first, so its final flush still finds the file.
  std::unique_ptr<BufferedLines> buffer_;
};

}  // namespace conveyor::serving
