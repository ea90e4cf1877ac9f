// Colours for charts: a categorical palette for series (Vega's "tableau10",
// the one DVC's plots show, distinguishable for up to 10 series and ordered
// so the first 6 stay apart for common colour-vision deficiencies), a
// sequential ramp for heat maps, and the greys of axes and text.
//
// Thread safety: pure functions and constants.
#pragma once

#include <cstddef>
#include <cstdint>

namespace conveyor {

struct Color {
  double r = 0;  // 0..1
  double g = 0;
  double b = 0;
};

// 0xRRGGBB.
Color Rgb(uint32_t hex);

// The colour of series `index`; the palette repeats after 10.
Color SeriesColor(size_t index);

// A white-to-dark-blue ramp ("blues"), t in 0..1 (clamped).
Color HeatColor(double t);

// Whether text on `background` reads better in white than in dark grey.
bool PrefersLightText(const Color& background);

namespace palette {
inline constexpr uint32_t kText = 0x222222;
inline constexpr uint32_t kMutedText = 0x555555;
inline constexpr uint32_t kAxis = 0x888888;
inline constexpr uint32_t kGrid = 0xe4e4e4;
inline constexpr uint32_t kBackground = 0xffffff;
}  // namespace palette

}  // namespace conveyor
