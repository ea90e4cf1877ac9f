// ImageHeader: an uploaded image's format and dimensions, read from its first
// bytes before anything is decoded, so that a small file declaring a huge
// image (a "pixel bomb") is refused before the decoder allocates for it.
//
// Formats: PNG (IHDR), JPEG (the first SOFn marker), BMP (BITMAPINFOHEADER and
// its successors, and the old 12-byte core header), and binary or ASCII
// netpbm (P1..P6: PBM, PGM, PPM). Anything else is kUnsupported.
//
// Thread safety: pure functions. Never reads outside `bytes`.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace conveyor::serving {

enum class ImageFormat { kUnknown, kPng, kJpeg, kBmp, kNetpbm };

// "png", "jpeg", "bmp", "netpbm", "unknown".
std::string_view ImageFormatName(ImageFormat format);

// The format the first bytes announce (magic numbers only).
ImageFormat SniffImageFormat(std::string_view bytes);

struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  int64_t width = 0;
  int64_t height = 0;
};

// Reads format, width and height. kInvalid for an unknown format or a
// header that is truncated or malformed ("png: truncated header"), or
// declares a zero dimension.
Result<ImageHeader> ReadImageHeader(std::string_view bytes);

}  // namespace conveyor::serving
