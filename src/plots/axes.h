// Axis ticks at "nice" numbers, and their labels. Pure functions; tested as
// tables.
#pragma once

#include <string>
#include <vector>

namespace conveyor {

struct Ticks {
  // The axis range: the data range widened outwards to whole steps.
  double lo = 0;
  double hi = 1;
  double step = 1;             // 1, 2 or 5 times a power of ten
  std::vector<double> values;  // lo, lo + step, ..., hi
};

// Ticks covering [lo, hi] with the smallest nice step that needs at most
// `max_ticks` ticks (at least 2 are always allowed). An empty range (lo ==
// hi) is widened around the value first: by 1 around 0, by 10% of |value|
// otherwise. `lo` > `hi` are swapped. Non-finite input gives the 0..1 axis.
Ticks NiceTicks(double lo, double hi, int max_ticks);

// A tick label with as many decimals as the step needs ("0.25" for step
// 0.05, "200" for step 100); exponent form for huge or tiny steps ("1e6",
// "2.5e-5"). Never "-0".
std::string FormatTick(double value, double step);

// Labels for every tick of an axis, in one style: exponent form for all of
// them when the largest is at least 1e6 (never "800000" beside "1e6").
std::vector<std::string> FormatTicks(const Ticks& ticks);

// A number shown inside a chart (confusion cells, bar ends): integers as
// they are, others with up to `digits` significant digits.
std::string FormatValue(double value, int digits = 3);

}  // namespace conveyor
