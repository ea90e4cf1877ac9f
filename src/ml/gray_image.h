// GrayImage: an 8-bit grayscale raster; reading and writing image files
// (decoding PNG, JPEG, BMP and netpbm, encoding PNG) through ml/image_codec.h,
// which uses libpng, libjpeg and our own parsers rather than OpenCV's
// imgcodecs; and drawing with OpenCV imgproc, kept out of this header.
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

// The largest image the decoders allocate for unless told otherwise: 64 Mi
// pixels (8192 x 8192).
inline constexpr int64_t kDefaultMaxPixels = int64_t{64} << 20;

// Reads a PNG, JPEG, BMP or netpbm file and converts it to 8-bit grayscale
// (see ml/image_codec.h for what each format allows).
// Errors: "<path>: cannot decode image: <why>" (kInvalid), or kIo
// "cannot read <path>: <reason>" when the file cannot be read.
Result<GrayImage> ReadGrayImage(const std::filesystem::path& path,
                                int64_t max_pixels = kDefaultMaxPixels);

// Decodes an in-memory PNG, JPEG, BMP or netpbm image to 8-bit grayscale,
// refusing one of more than `max_pixels` pixels before allocating for it.
// Errors: "<name>: cannot decode image: <why>" (kInvalid).
Result<GrayImage> DecodeGrayImage(std::string_view bytes, std::string_view name,
                                  int64_t max_pixels = kDefaultMaxPixels);

// Encodes as 8-bit greyscale PNG bytes.
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
