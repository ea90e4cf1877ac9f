// Image codecs: PNG, JPEG, BMP and netpbm bytes decoded to an 8-bit grey
// GrayImage, and grey images encoded as PNG.
//
// Why not OpenCV's imgcodecs: Debian's build of it pulls some 88 shared
// libraries (GDAL, poppler, OpenEXR, HDF5, ...) into every process that links
// it, about 25 MB of resident pages in `conveyor serve`. PNG and JPEG go
// through libpng (its simplified API) and libjpeg directly; BMP and netpbm are
// small enough to parse here.
//
// Colour becomes grey with OpenCV imgproc's RGB->grey conversion (0.299 R +
// 0.587 G + 0.114 B in its fixed-point arithmetic), so the pixels equal what
// cv::imdecode followed by cv::cvtColor(..., COLOR_BGR2GRAY) gave; alpha is
// dropped, never composited. Per format:
//   PNG    Every colour type and bit depth. 16-bit samples are taken as
//          already gamma-encoded (as 8-bit ones are; libpng's simplified API
//          would otherwise treat them as linear light and brighten them) and
//          scaled to 8 bits with rounding, v * 255 / 65535, before any colour
//          conversion. A gAMA chunk far from sRGB's is honoured by libpng (the
//          old OpenCV path ignored it); files without one are not altered.
//   JPEG   Grey and YCbCr files give their luma (Y) channel as decoded by
//          libjpeg: within 1 of decoding to RGB and converting, except where
//          the RGB values would have clipped. Adobe RGB-transform files are
//          decoded to RGB and converted. CMYK and YCCK are refused. A file that
//          ends before its EOI marker is an error, not a grey-padded image.
//   BMP    Headers of 12 (OS/2 core), 40, 52, 56, 108 and 124 bytes; 1, 4 and
//          8-bit palettes, 16-bit (5-5-5 or BI_BITFIELDS), 24-bit, and 32-bit
//          (BI_RGB or BI_BITFIELDS with any contiguous masks); bottom-up or
//          top-down. A mask field narrower than 8 bits fills the high bits
//          (5-bit 31 -> 248), as OpenCV and Windows do. RLE, embedded JPEG or
//          PNG compression are refused. Palette indices past the palette give
//          black.
//   netpbm P1-P6 (plain and raw PBM, PGM, PPM), comments, maxval 1..65535;
//          samples are scaled to 0..255 with rounding, v * 255 / maxval. In
//          PBM 1 is black.
//
// Every decoder checks each offset against the input before reading it, and
// refuses an image of more than `max_pixels` pixels before allocating for it:
// a header's dimensions are never trusted. Errors are kInvalid with a message
// that names the format and the fault ("BMP: RLE8 compression is not
// supported", "PNG: IDAT: incorrect data check"); callers prefix the input's
// name.
//
// Thread safety: pure functions with no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "ml/gray_image.h"

namespace conveyor::ml {

// Decodes by the leading bytes: PNG, JPEG, BMP or netpbm.
Result<GrayImage> DecodeImage(std::string_view bytes, int64_t max_pixels = kDefaultMaxPixels);

Result<GrayImage> DecodePng(std::string_view bytes, int64_t max_pixels = kDefaultMaxPixels);
Result<GrayImage> DecodeJpeg(std::string_view bytes, int64_t max_pixels = kDefaultMaxPixels);
Result<GrayImage> DecodeBmp(std::string_view bytes, int64_t max_pixels = kDefaultMaxPixels);
Result<GrayImage> DecodeNetpbm(std::string_view bytes, int64_t max_pixels = kDefaultMaxPixels);

// An 8-bit greyscale PNG (libpng's default compression). kInvalid when
// `image` is empty or its pixel count is not rows * cols.
Result<std::string> EncodeGrayPng(const GrayImage& image);

}  // namespace conveyor::ml
