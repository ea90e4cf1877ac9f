#include "serving/drift_window.h"

#include <algorithm>
#include <cmath>

namespace conveyor::serving {
namespace {

constexpr double kQuantum = 65535.0;

uint64_t Quantise(double value) {
  if (!(value >= 0))  // NaN too
    return 0;
  return static_cast<uint64_t>(std::lround(std::min(value, 1.0) * kQuantum));
}

}  // namespace

DriftWindow::DriftWindow(size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)),
      slots_(std::make_unique<std::atomic<uint64_t>[]>(capacity_)) {
  for (size_t i = 0; i < capacity_; ++i)
    slots_[i].store(0, std::memory_order_relaxed);
}

void DriftWindow::Record(uint32_t generation, int class_index, double mean_intensity,
                         double ink_fraction) {
  if (class_index < 0 || class_index > kMaxClass)
    return;
  const uint64_t entry = static_cast<uint64_t>(generation) << 48 |
                         static_cast<uint64_t>(class_index) << 32 | Quantise(mean_intensity) << 16 |
                         Quantise(ink_fraction);
  const uint64_t slot = next_.fetch_add(1, std::memory_order_relaxed) % capacity_;
  slots_[slot].store(entry, std::memory_order_relaxed);
}

void DriftWindow::Reset() {
  uint32_t next = generation_.load(std::memory_order_relaxed) + 1;
  if (next > 0xffff)
    next = 1;
  generation_.store(next, std::memory_order_seq_cst);
  for (size_t i = 0; i < capacity_; ++i)
    slots_[i].store(0, std::memory_order_relaxed);
}

std::vector<DriftWindow::Entry> DriftWindow::Snapshot() const {
  const uint64_t generation = generation_.load(std::memory_order_relaxed);
  std::vector<Entry> entries;
  entries.reserve(capacity_);
  for (size_t i = 0; i < capacity_; ++i) {
    const uint64_t entry = slots_[i].load(std::memory_order_relaxed);
    if (entry >> 48 != generation)
      continue;
    entries.push_back({.class_index = static_cast<int>(entry >> 32 & 0xffff),
                       .mean_intensity = static_cast<double>(entry >> 16 & 0xffff) / kQuantum,
                       .ink_fraction = static_cast<double>(entry & 0xffff) / kQuantum});
  }
  return entries;
}

}  // namespace conveyor::serving
