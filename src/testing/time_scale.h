// How much longer than usual a test may wait for conveyor to finish work.
//
// Sanitizer builds run conveyor several times slower (ASan's shadow memory,
// TSan's happens-before tracking, both in every child process), so an upper
// bound sized for the normal build would fail there with nothing wrong. The
// factor is CONVEYOR_TEST_TIME_SCALE when set (a number from 1 to 100), else
// 4 in a build with -fsanitize=address or thread and 1 otherwise.
//
// Scale only limits a test waits up to (deadlines, timeouts, poll counts),
// never a duration the test asserts as a minimum or the product's own
// timeouts under test.
#pragma once

#include <chrono>
#include <thread>

namespace conveyor::testing {

// The factor; reads the environment once. Aborts the test binary, naming the
// variable and its value, when CONVEYOR_TEST_TIME_SCALE is not such a number.
double TestTimeScale();

// `limit` times TestTimeScale(), rounded up to whole milliseconds.
std::chrono::milliseconds Scaled(std::chrono::milliseconds limit);

// `count` times TestTimeScale(), rounded up: for polls of a fixed interval.
int ScaledCount(int count);

// Polls `ready` every `interval` until it is true (returns true) or
// Scaled(limit) has passed (returns false).
template <typename Predicate>
bool WaitUntil(std::chrono::milliseconds limit, Predicate ready,
               std::chrono::milliseconds interval = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + Scaled(limit);
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace conveyor::testing
