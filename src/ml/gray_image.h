// GrayImage: an 8-bit grayscale raster, and PNG reading/writing through
// OpenCV kept out of this header.
//
// Thread safety: GrayImage is a value; the functions have no shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor::ml {

struct GrayImage {
  int rows = 0;
  int cols = 0;
  std::vector<uint8_t> pixels;  // rows * cols values, row-major

  uint8_t at(int r, int c) const {
    return pixels[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)];
  }
  uint8_t& at(int r, int c) {
    return pixels[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)];
  }
};

// A rows x cols image filled with `value`.
GrayImage MakeGrayImage(int rows, int cols, uint8_t value = 0);

// Reads any image file OpenCV decodes and converts it to 8-bit grayscale.
// Errors: "<path>: cannot decode image" (missing file or unknown format).
Result<GrayImage> ReadGrayImage(const std::filesystem::path& path);

// Decodes an in-memory image (PNG, JPEG, ...) to 8-bit grayscale; `name`
// prefixes errors.
Result<GrayImage> DecodeGrayImage(std::string_view bytes, std::string_view name);

// Encodes as PNG bytes.
Result<std::string> EncodePng(const GrayImage& image);

// Writes a PNG file atomically.
Status WritePng(const std::filesystem::path& path, const GrayImage& image);

// Each pixel repeated `factor` times in both directions (nearest neighbour).
GrayImage Upscale(const GrayImage& image, int factor);

// Draws `text` in white (or `value`) with its bottom-left corner at (x, y),
// using OpenCV's Hershey simplex font at `scale`.
void DrawText(GrayImage& image, std::string_view text, int x, int y, double scale,
              uint8_t value = 255);

}  // namespace conveyor::ml
