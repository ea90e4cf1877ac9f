// DriftWindow: the last N predicted rows as the drift monitor sees them —
// the predicted class and the input's two summary statistics — in a ring
// that request threads write without a lock.
//
// Each slot is one 64-bit atomic holding a generation (16 bits), the class
// (16 bits) and the two statistics quantised to 1/65535 (16 bits each), so a
// reader never sees half of an entry. Reset starts a new generation and
// clears the slots; entries of an older generation are not in a snapshot,
// including those a writer that raced with the Reset stores afterwards.
//
//   DriftWindow window(1000);
//   window.Record(window.generation(), 7, 0.13, 0.12);  // per predicted row
//   std::vector<DriftWindow::Entry> last = window.Snapshot();  // per scrape
//
// Thread safety: Record and Snapshot may run on any number of threads at
// once; Reset must not run concurrently with another Reset.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace conveyor::serving {

class DriftWindow {
 public:
  // Classes from 0 to kMaxClass are recorded; rows of a larger class index
  // are not (a model with that many classes gets no prediction drift).
  static constexpr int kMaxClass = 0xfffe;

  struct Entry {
    int class_index = 0;
    double mean_intensity = 0;  // within 1/65535 of what was recorded
    double ink_fraction = 0;
  };

  // Precondition: capacity >= 1.
  explicit DriftWindow(size_t capacity);

  size_t capacity() const { return capacity_; }

  // The current generation, for Record: read it before deciding that a row
  // belongs in the window, so that a Reset in between drops the row.
  uint32_t generation() const { return generation_.load(std::memory_order_seq_cst); }

  // Adds one row of `generation` (generation()), overwriting the oldest
  // once the window is full. Statistics are clamped into [0, 1]. A row of an
  // older generation is stored but never in a snapshot.
  void Record(uint32_t generation, int class_index, double mean_intensity, double ink_fraction);

  // Empties the window.
  void Reset();

  // The entries of the current generation, in no particular order: at most
  // capacity(), fewer until that many rows were recorded since the last
  // Reset.
  std::vector<Entry> Snapshot() const;

 private:
  // Constant after construction.
  const size_t capacity_;
  const std::unique_ptr<std::atomic<uint64_t>[]> slots_;  // 0: empty

  std::atomic<uint64_t> next_{0};        // slot of the next Record, modulo capacity_
  std::atomic<uint32_t> generation_{1};  // 1..65535, never 0
};

}  // namespace conveyor::serving
