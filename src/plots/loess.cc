#include "plots/loess.h"

#include <algorithm>
#include <cmath>

namespace conveyor {

namespace {

// The fit at `x0` from the `k` points nearest to it.
double FitAt(const std::vector<Point>& points, double x0, size_t k) {
  size_t n = points.size();
  auto it = std::lower_bound(points.begin(), points.end(), x0,
                             [](const Point& p, double x) { return p.first < x; });
  size_t right = static_cast<size_t>(it - points.begin());  // first not taken on the right
  size_t left = right;                                      // first taken on the left
  while (right - left < k) {
    bool take_left =
        right == n || (left > 0 && x0 - points[left - 1].first <= points[right].first - x0);
    if (take_left)
      --left;
    else
      ++right;
  }
  double max_distance =
      std::max(std::fabs(x0 - points[left].first), std::fabs(points[right - 1].first - x0));
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = left; i < right; ++i) {
    double d = max_distance > 0 ? std::fabs(points[i].first - x0) / max_distance : 0;
    double t = 1 - d * d * d;
    double w = d >= 1 ? 0 : t * t * t;
    if (max_distance == 0)
      w = 1;
    double x = points[i].first - x0;  // centred for numerical stability
    sw += w;
    sx += w * x;
    sy += w * points[i].second;
    sxx += w * x * x;
    sxy += w * x * points[i].second;
  }
  if (sw <= 0)
    return points[left].second;
  double denominator = sw * sxx - sx * sx;
  if (std::fabs(denominator) < 1e-12 * std::max(1.0, sw * sxx))
    return sy / sw;
  double slope = (sw * sxy - sx * sy) / denominator;
  double intercept = (sy - slope * sx) / sw;
  return intercept;  // the line's value at x - x0 = 0
}

}  // namespace

std::vector<Point> Loess(const std::vector<Point>& points, double bandwidth, size_t max_points) {
  size_t n = points.size();
  if (n < 3)
    return points;
  // At least 5 neighbours: with fewer, each local line runs through its
  // nearest points and nothing is smoothed.
  size_t k = static_cast<size_t>(std::ceil(bandwidth * static_cast<double>(n)));
  k = std::clamp<size_t>(k, std::min<size_t>(n, 5), n);
  std::vector<double> xs;
  if (n <= max_points || max_points < 2) {
    for (const Point& p : points)
      xs.push_back(p.first);
  } else {
    double lo = points.front().first;
    double hi = points.back().first;
    for (size_t i = 0; i < max_points; ++i)
      xs.push_back(lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(max_points - 1));
  }
  std::vector<Point> curve;
  curve.reserve(xs.size());
  for (double x : xs)
    curve.emplace_back(x, FitAt(points, x, k));
  return curve;
}

}  // namespace conveyor
