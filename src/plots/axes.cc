#include "plots/axes.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

namespace conveyor {

namespace {

// Drops "+" and leading zeros from an exponent: "1e+06" -> "1e6".
std::string TidyExponent(std::string text) {
  size_t e = text.find('e');
  if (e == std::string::npos)
    return text;
  std::string mantissa = text.substr(0, e);
  std::string exponent = text.substr(e + 1);
  bool negative = !exponent.empty() && exponent[0] == '-';
  size_t digits = exponent.find_first_not_of("+-0");
  return mantissa + "e" + (negative ? "-" : "") +
         (digits == std::string::npos ? "0" : exponent.substr(digits));
}

}  // namespace

Ticks NiceTicks(double lo, double hi, int max_ticks) {
  Ticks ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    ticks.values = {0, 0.2, 0.4, 0.6, 0.8, 1};
    ticks.step = 0.2;
    return ticks;
  }
  if (lo > hi)
    std::swap(lo, hi);
  if (lo == hi) {
    double delta = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= delta;
    hi += delta;
  }
  max_ticks = std::max(max_ticks, 2);
  double span = hi - lo;
  double magnitude = std::pow(10.0, std::floor(std::log10(span / max_ticks)) - 1);
  static constexpr double kMultipliers[] = {1, 2, 5};
  double step = magnitude;
  for (int round = 0; round < 40; ++round) {
    double scale = magnitude * std::pow(10.0, round / 3);
    step = kMultipliers[round % 3] * scale;
    double first = std::floor(lo / step + 1e-9);
    double last = std::ceil(hi / step - 1e-9);
    if (last - first + 1 <= max_ticks)
      break;
  }
  double first = std::floor(lo / step + 1e-9);
  double last = std::ceil(hi / step - 1e-9);
  ticks.step = step;
  ticks.lo = first * step;
  ticks.hi = last * step;
  for (double i = first; i <= last + 0.5; i += 1)
    ticks.values.push_back(i * step);
  return ticks;
}

namespace {

// `largest`: the magnitude that decides between plain and exponent form.
std::string FormatWithMagnitude(double value, double step, double largest) {
  if (std::fabs(value) < std::fabs(step) * 1e-9)
    value = 0;
  step = std::fabs(step);
  if (step > 0 && (largest >= 1e6 || step < 1e-4)) {
    // Enough significant digits to tell neighbouring ticks apart.
    int digits = 1 + std::max(0, static_cast<int>(std::floor(std::log10(largest))) -
                                     static_cast<int>(std::floor(std::log10(step))));
    return TidyExponent(fmt::format("{:.{}g}", value, std::min(digits, 15)));
  }
  int decimals = 0;
  if (step > 0 && step < 1) {
    decimals = static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    // A step of 0.25 or 0.05 needs one decimal more than its magnitude.
    double scaled = step * std::pow(10.0, decimals);
    if (std::fabs(scaled - std::round(scaled)) > 1e-6)
      ++decimals;
  }
  std::string text = fmt::format("{:.{}f}", value, decimals);
  if (text == "-0" || text.find_first_not_of("-0.") == std::string::npos)
    text = fmt::format("{:.{}f}", 0.0, decimals);
  return text;
}

}  // namespace

std::string FormatTick(double value, double step) {
  return FormatWithMagnitude(value, step, std::max(std::fabs(value), std::fabs(step)));
}

std::vector<std::string> FormatTicks(const Ticks& ticks) {
  double largest = std::fabs(ticks.step);
  for (double value : ticks.values)
    largest = std::max(largest, std::fabs(value));
  std::vector<std::string> labels;
  for (double value : ticks.values)
    labels.push_back(FormatWithMagnitude(value, ticks.step, largest));
  return labels;
}

std::string FormatValue(double value, int digits) {
  if (std::fabs(value) < 1e15 && value == std::round(value))
    return fmt::format("{:.0f}", value == 0 ? 0.0 : value);
  return TidyExponent(fmt::format("{:.{}g}", value, digits));
}

}  // namespace conveyor
