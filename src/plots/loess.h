// LOESS smoothing for the `smooth` template: locally weighted linear
// regression with tricube weights over the nearest `bandwidth` fraction of
// the points, and at least 5 (as Vega-Lite's loess transform, which DVC's
// smooth template uses with bandwidth 0.3). A pure function.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace conveyor {

using Point = std::pair<double, double>;  // (x, y)

// `points` sorted by x. Returns the smoothed curve at each point's x, or at
// `max_points` evenly spaced x across the range when there are more points.
// Fewer than 3 points are returned as they are.
std::vector<Point> Loess(const std::vector<Point>& points, double bandwidth = 0.3,
                         size_t max_points = 200);

}  // namespace conveyor
