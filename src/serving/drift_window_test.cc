#include "serving/drift_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace conveyor::serving {
namespace {

TEST(DriftWindowTest, KeepsTheLastCapacityRows) {
  DriftWindow window(3);
  for (int i = 0; i < 5; ++i)
    window.Record(window.generation(), i, 0.1 * i, 0.5);
  std::vector<DriftWindow::Entry> entries = window.Snapshot();
  ASSERT_EQ(entries.size(), 3u);
  std::vector<int> classes;
  for (const DriftWindow::Entry& entry : entries)
    classes.push_back(entry.class_index);
  std::sort(classes.begin(), classes.end());
  EXPECT_EQ(classes, (std::vector<int>{2, 3, 4}));
}

TEST(DriftWindowTest, StatisticsRoundTripWithinAQuantumAndClamp) {
  DriftWindow window(4);
  window.Record(window.generation(), 1, 0.123456, 0.987654);
  window.Record(window.generation(), 2, -3.0, 7.0);
  std::vector<DriftWindow::Entry> entries = window.Snapshot();
  ASSERT_EQ(entries.size(), 2u);
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.class_index < b.class_index; });
  EXPECT_NEAR(entries[0].mean_intensity, 0.123456, 1.0 / 65535);
  EXPECT_NEAR(entries[0].ink_fraction, 0.987654, 1.0 / 65535);
  EXPECT_EQ(entries[1].mean_intensity, 0.0);
  EXPECT_EQ(entries[1].ink_fraction, 1.0);
}

TEST(DriftWindowTest, ResetEmptiesAndNewRowsCountAgain) {
  DriftWindow window(10);
  for (int i = 0; i < 10; ++i)
    window.Record(window.generation(), 1, 0.5, 0.5);
  window.Reset();
  EXPECT_TRUE(window.Snapshot().empty());
  window.Record(window.generation(), 4, 0.2, 0.1);
  ASSERT_EQ(window.Snapshot().size(), 1u);
  EXPECT_EQ(window.Snapshot()[0].class_index, 4);
}

TEST(DriftWindowTest, GenerationsWrapWithoutResurrectingOldRows) {
  DriftWindow window(2);
  window.Record(window.generation(), 3, 0.5, 0.5);
  for (int i = 0; i < 70000; ++i)  // past the 16-bit generation counter
    window.Reset();
  EXPECT_TRUE(window.Snapshot().empty());
  window.Record(window.generation(), 5, 0.5, 0.5);
  ASSERT_EQ(window.Snapshot().size(), 1u);
  EXPECT_EQ(window.Snapshot()[0].class_index, 5);
}

// A request that read the generation before a swap's Reset stores its row
// after it: the row stays out of the new window.
TEST(DriftWindowTest, ARowOfAnOlderGenerationStaysOut) {
  DriftWindow window(4);
  const uint32_t before = window.generation();
  window.Reset();
  window.Record(before, 1, 0.5, 0.5);
  EXPECT_TRUE(window.Snapshot().empty());
  window.Record(window.generation(), 2, 0.5, 0.5);
  ASSERT_EQ(window.Snapshot().size(), 1u);
  EXPECT_EQ(window.Snapshot()[0].class_index, 2);
}

TEST(DriftWindowTest, RefusesClassesItCannotStore) {
  DriftWindow window(4);
  window.Record(window.generation(), -1, 0.5, 0.5);
  window.Record(window.generation(), DriftWindow::kMaxClass + 1, 0.5, 0.5);
  window.Record(window.generation(), DriftWindow::kMaxClass, 0.5, 0.5);
  ASSERT_EQ(window.Snapshot().size(), 1u);
  EXPECT_EQ(window.Snapshot()[0].class_index, DriftWindow::kMaxClass);
}

TEST(DriftWindowTest, ConcurrentWritersFillTheWindowWithWholeEntries) {
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  DriftWindow window(1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&window, t] {
      // Each thread writes its own class with statistics derived from it, so
      // a torn entry would show as a mismatch.
      for (int i = 0; i < kEach; ++i)
        window.Record(window.generation(), t, 0.1 * (t + 1), 0.05 * (t + 1));
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  const std::vector<DriftWindow::Entry> entries = window.Snapshot();
  EXPECT_EQ(entries.size(), 1000u);
  for (const DriftWindow::Entry& entry : entries) {
    ASSERT_GE(entry.class_index, 0);
    ASSERT_LT(entry.class_index, kThreads);
    EXPECT_NEAR(entry.mean_intensity, 0.1 * (entry.class_index + 1), 1e-4);
    EXPECT_NEAR(entry.ink_fraction, 0.05 * (entry.class_index + 1), 1e-4);
  }
}

}  // namespace
}  // namespace conveyor::serving
