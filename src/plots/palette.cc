#include "plots/palette.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace conveyor {

namespace {

constexpr uint32_t kTableau10[] = {0x4c78a8, 0xf58518, 0x54a24b, 0xe45756, 0x72b7b2,
                                   0xb279a2, 0xeeca3b, 0x9d755d, 0xff9da6, 0xbab0ac};

// The "blues" scheme's stops, light to dark.
constexpr uint32_t kBlues[] = {0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6,
                               0x4292c6, 0x2171b5, 0x08519c, 0x08306b};

double Linear(double channel) {
  return channel <= 0.04045 ? channel / 12.92 : std::pow((channel + 0.055) / 1.055, 2.4);
}

}  // namespace

Color Rgb(uint32_t hex) {
  return {((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0, (hex & 0xff) / 255.0};
}

Color SeriesColor(size_t index) { return Rgb(kTableau10[index % std::size(kTableau10)]); }

Color HeatColor(double t) {
  if (!(t > 0))
    t = 0;
  t = std::min(t, 1.0);
  constexpr size_t kStops = std::size(kBlues);
  double position = t * (kStops - 1);
  size_t i = std::min(static_cast<size_t>(position), kStops - 2);
  double f = position - static_cast<double>(i);
  Color a = Rgb(kBlues[i]);
  Color b = Rgb(kBlues[i + 1]);
  return {a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
}

bool PrefersLightText(const Color& background) {
  double luminance =
      0.2126 * Linear(background.r) + 0.7152 * Linear(background.g) + 0.0722 * Linear(background.b);
  return luminance < 0.3;
}

}  // namespace conveyor
