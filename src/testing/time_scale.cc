#include "testing/time_scale.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace conveyor::testing {
namespace {

constexpr char kVariable[] = "CONVEYOR_TEST_TIME_SCALE";
constexpr double kMaxScale = 100;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr double kBuildScale = 4;
#else
constexpr double kBuildScale = 1;
#endif

double ReadScale() {
  const char* text = std::getenv(kVariable);
  if (text == nullptr || *text == '\0')
    return kBuildScale;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (*end != '\0' || !std::isfinite(value) || value < 1 || value > kMaxScale) {
    std::fprintf(stderr, "%s=%s: expected a number from 1 to %g\n", kVariable, text, kMaxScale);
    std::abort();
  }
  return value;
}

}  // namespace

double TestTimeScale() {
  static const double scale = ReadScale();
  return scale;
}

std::chrono::milliseconds Scaled(std::chrono::milliseconds limit) {
  return std::chrono::milliseconds(
      static_cast<int64_t>(std::ceil(static_cast<double>(limit.count()) * TestTimeScale())));
}

int ScaledCount(int count) { return static_cast<int>(std::ceil(count * TestTimeScale())); }

}  // namespace conveyor::testing
