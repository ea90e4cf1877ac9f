// Tests for image_codec: each decoder against OpenCV's imgcodecs on the same
// bytes (exact for lossless formats, within 1 for JPEG), inputs OpenCV does
// not write built by hand here, and hostile input: every truncation, flipped
// bytes, empty input, and the pixel limit. Only this test links imgcodecs.
#include "ml/image_codec.h"

#include <gtest/gtest.h>
#include <png.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

// jpeglib.h needs FILE declared before it: <cstdio> above.
// clang-format off
#include <jpeglib.h>
// clang-format on

#include "ml/gray_image.h"
#include "testing/temp_dir.h"

namespace conveyor::ml {
namespace {

// --- helpers ----------------------------------------------------------------

std::string Encode(const std::string& ext, const cv::Mat& mat,
                   const std::vector<int>& params = {}) {
  std::vector<uint8_t> out;
  EXPECT_TRUE(cv::imencode(ext, mat, out, params)) << ext;
  return {out.begin(), out.end()};
}

// What the old OpenCV path gave: decode unchanged, 16-bit scaled to 8 with
// rounding, colour converted to grey with alpha dropped. Empty when OpenCV
// cannot decode the bytes.
cv::Mat OpenCvGray(const std::string& bytes) {
  std::vector<uint8_t> buffer(bytes.begin(), bytes.end());
  cv::Mat decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  if (decoded.empty()) {
    return decoded;
  }
  if (decoded.depth() == CV_16U) {
    cv::Mat eight;
    decoded.convertTo(eight, CV_8U, 255.0 / 65535.0);
    decoded = eight;
  }
  cv::Mat gray;
  if (decoded.channels() == 3) {
    cv::cvtColor(decoded, gray, cv::COLOR_BGR2GRAY);
  } else if (decoded.channels() == 4) {
    cv::cvtColor(decoded, gray, cv::COLOR_BGRA2GRAY);
  } else {
    gray = decoded;
  }
  return gray;
}

// Largest per-pixel difference; -1 when the sizes differ.
int MaxDifference(const GrayImage& image, const cv::Mat& expected) {
  if (expected.type() != CV_8UC1 || image.rows != expected.rows || image.cols != expected.cols) {
    return -1;
  }
  int worst = 0;
  for (int r = 0; r < image.rows; ++r) {
    for (int c = 0; c < image.cols; ++c) {
      worst = std::max(worst, std::abs(int{image.at(r, c)} - int{expected.at<uint8_t>(r, c)}));
    }
  }
  return worst;
}

// Decodes `bytes` and checks it against OpenCV's result within `tolerance`.
void ExpectLikeOpenCv(const std::string& bytes, int tolerance = 0) {
  Result<GrayImage> ours = DecodeImage(bytes);
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  const cv::Mat theirs = OpenCvGray(bytes);
  ASSERT_FALSE(theirs.empty()) << "OpenCV cannot decode the input";
  EXPECT_LE(MaxDifference(*ours, theirs), tolerance);
  EXPECT_GE(MaxDifference(*ours, theirs), 0)
      << ours->cols << "x" << ours->rows << " vs " << theirs.cols << "x" << theirs.rows;
}

// A rows x cols test pattern of `type`: every sample different enough to
// catch swapped channels and misplaced rows.
cv::Mat Pattern(int rows, int cols, int type) {
  cv::Mat mat(rows, cols, type);
  cv::RNG rng(rows * 1000 + cols);
  if (CV_MAT_DEPTH(type) == CV_16U) {
    rng.fill(mat, cv::RNG::UNIFORM, 0, 65536);
  } else {
    rng.fill(mat, cv::RNG::UNIFORM, 0, 256);
  }
  return mat;
}

// A smooth mid-range pattern for JPEG: no colour clips when decoded to RGB.
cv::Mat SmoothPattern(int rows, int cols, int channels) {
  cv::Mat mat(rows, cols, CV_8UC(channels));
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      for (int k = 0; k < channels; ++k) {
        mat.ptr<uint8_t>(r)[c * channels + k] =
            static_cast<uint8_t>(90 + 40 * std::sin((r + 2 * k) * 0.2) + 30 * std::cos(c * 0.15));
      }
    }
  }
  return mat;
}

// A PNG written by libpng's simplified API in `format`, optionally through
// a colour map of `colormap_entries` entries.
std::string LibpngWrite(int rows, int cols, png_uint_32 format, const std::vector<uint8_t>& data,
                        const std::vector<uint8_t>& colormap = {}, int colormap_entries = 0) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(cols);
  image.height = static_cast<png_uint_32>(rows);
  image.format = format;
  image.colormap_entries = static_cast<png_uint_32>(colormap_entries);
  png_alloc_size_t size = 0;
  EXPECT_NE(png_image_write_to_memory(&image, nullptr, &size, 0, data.data(), 0,
                                      colormap.empty() ? nullptr : colormap.data()),
            0)
      << image.message;
  std::string out(size, '\0');
  EXPECT_NE(png_image_write_to_memory(&image, out.data(), &size, 0, data.data(), 0,
                                      colormap.empty() ? nullptr : colormap.data()),
            0)
      << image.message;
  out.resize(size);
  return out;
}

std::vector<uint8_t> Bytes(const cv::Mat& mat) { return {mat.datastart, mat.dataend}; }

// A JPEG compressed by libjpeg from `samples` given in `in_space`, stored as
// `jpeg_space` (JCS_CMYK, or JCS_RGB for Adobe's no-transform RGB).
std::string LibjpegWrite(int rows, int cols, int components, J_COLOR_SPACE in_space,
                         J_COLOR_SPACE jpeg_space, std::vector<uint8_t> samples) {
  jpeg_compress_struct info{};
  jpeg_error_mgr errors{};
  info.err = jpeg_std_error(&errors);
  jpeg_CreateCompress(&info, JPEG_LIB_VERSION, sizeof(info));
  unsigned char* buffer = nullptr;
  unsigned long size = 0;  // NOLINT(google-runtime-int): libjpeg's type
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = static_cast<JDIMENSION>(cols);
  info.image_height = static_cast<JDIMENSION>(rows);
  info.input_components = components;
  info.in_color_space = in_space;
  jpeg_set_defaults(&info);
  jpeg_set_colorspace(&info, jpeg_space);
  jpeg_set_quality(&info, 95, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = samples.data() + static_cast<size_t>(info.next_scanline) * cols * components;
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  std::string out(reinterpret_cast<char*>(buffer), size);
  jpeg_destroy_compress(&info);
  free(buffer);  // NOLINT: allocated by libjpeg with malloc
  return out;
}

// --- PNG ----------------------------------------------------------------------

TEST(ImageCodecPngTest, GreyMatchesOpenCv) {
  ExpectLikeOpenCv(Encode(".png", Pattern(13, 7, CV_8UC1)));
  ExpectLikeOpenCv(Encode(".png", Pattern(1, 1, CV_8UC1)));
}

TEST(ImageCodecPngTest, BilevelMatchesOpenCv) {
  cv::Mat bits = Pattern(9, 11, CV_8UC1);
  cv::threshold(bits, bits, 127, 255, cv::THRESH_BINARY);
  ExpectLikeOpenCv(Encode(".png", bits, {cv::IMWRITE_PNG_BILEVEL, 1}));
}

TEST(ImageCodecPngTest, RgbMatchesOpenCv) {
  ExpectLikeOpenCv(Encode(".png", Pattern(13, 7, CV_8UC3)));
}

TEST(ImageCodecPngTest, RgbaIgnoresAlphaLikeOpenCv) {
  ExpectLikeOpenCv(Encode(".png", Pattern(13, 7, CV_8UC4)));
}

TEST(ImageCodecPngTest, GreyAlphaIgnoresAlpha) {
  const cv::Mat ga = Pattern(5, 6, CV_8UC2);
  const std::string png = LibpngWrite(5, 6, PNG_FORMAT_GA, Bytes(ga));
  ExpectLikeOpenCv(png);
  Result<GrayImage> image = DecodePng(png);
  ASSERT_TRUE(image.ok()) << image.status().message();
  for (int r = 0; r < 5; ++r) {
    for (int c = 0; c < 6; ++c) {
      EXPECT_EQ(image->at(r, c), ga.at<cv::Vec2b>(r, c)[0]);
    }
  }
}

TEST(ImageCodecPngTest, PaletteMatchesOpenCv) {
  std::vector<uint8_t> colormap(size_t{3} * 16);
  cv::RNG rng(7);
  for (uint8_t& v : colormap) {
    v = static_cast<uint8_t>(rng.uniform(0, 256));
  }
  std::vector<uint8_t> indices(size_t{9} * 10);
  for (size_t i = 0; i < indices.size(); ++i) {
    indices[i] = static_cast<uint8_t>((i * 7) % 16);
  }
  ExpectLikeOpenCv(LibpngWrite(9, 10, PNG_FORMAT_RGB_COLORMAP, indices, colormap, 16));
}

TEST(ImageCodecPngTest, PaletteWithTransparencyMatchesOpenCv) {
  std::vector<uint8_t> colormap(size_t{4} * 8);
  cv::RNG rng(8);
  for (uint8_t& v : colormap) {
    v = static_cast<uint8_t>(rng.uniform(0, 256));
  }
  colormap[3] = 0;  // one fully transparent entry
  std::vector<uint8_t> indices(size_t{7} * 5);
  for (size_t i = 0; i < indices.size(); ++i) {
    indices[i] = static_cast<uint8_t>((i * 3) % 8);
  }
  ExpectLikeOpenCv(LibpngWrite(7, 5, PNG_FORMAT_RGBA_COLORMAP, indices, colormap, 8));
}

TEST(ImageCodecPngTest, SixteenBitIsScaledWithRounding) {
  ExpectLikeOpenCv(Encode(".png", Pattern(13, 7, CV_16UC1)));
  ExpectLikeOpenCv(Encode(".png", Pattern(13, 7, CV_16UC3)));
  ExpectLikeOpenCv(Encode(".png", Pattern(13, 7, CV_16UC4)));
  // Exact values: v * 255 / 65535 rounded, not gamma-encoded as linear light.
  cv::Mat levels(1, 4, CV_16UC1);
  levels.at<uint16_t>(0, 0) = 0;
  levels.at<uint16_t>(0, 1) = 32768;
  levels.at<uint16_t>(0, 2) = 257 * 100 + 129;
  levels.at<uint16_t>(0, 3) = 65535;
  Result<GrayImage> image = DecodePng(Encode(".png", levels));
  ASSERT_TRUE(image.ok()) << image.status().message();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{0, 128, 101, 255}));
}

TEST(ImageCodecPngTest, EncodeRoundTripsAndOpenCvAgrees) {
  GrayImage image = MakeGrayImage(11, 9);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = static_cast<uint8_t>(i * 37);
  }
  Result<std::string> png = EncodeGrayPng(image);
  ASSERT_TRUE(png.ok()) << png.status().message();
  Result<GrayImage> back = DecodePng(*png);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->rows, 11);
  EXPECT_EQ(back->cols, 9);
  EXPECT_EQ(back->pixels, image.pixels);
  EXPECT_EQ(MaxDifference(image, OpenCvGray(*png)), 0);
}

TEST(ImageCodecPngTest, EncodeRefusesAnEmptyOrInconsistentImage) {
  EXPECT_EQ(EncodeGrayPng(GrayImage{}).status().message(),
            "PNG: cannot encode a 0x0 image of 0 pixels");
  GrayImage bad = MakeGrayImage(2, 2);
  bad.pixels.pop_back();
  EXPECT_FALSE(EncodeGrayPng(bad).ok());
}

TEST(ImageCodecPngTest, CorruptDataIsAnError) {
  std::string png = Encode(".png", Pattern(16, 16, CV_8UC1));
  const size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  png[idat + 8] = static_cast<char>(png[idat + 8] ^ 0x55);
  Result<GrayImage> image = DecodeImage(png);
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), Code::kInvalid);
  EXPECT_TRUE(image.status().message().starts_with("PNG: ")) << image.status().message();
}

// --- JPEG ---------------------------------------------------------------------

TEST(ImageCodecJpegTest, GreyMatchesOpenCvWithinOne) {
  ExpectLikeOpenCv(Encode(".jpg", SmoothPattern(37, 29, 1), {cv::IMWRITE_JPEG_QUALITY, 90}), 1);
}

TEST(ImageCodecJpegTest, ColourMatchesOpenCvWithinOne) {
  ExpectLikeOpenCv(Encode(".jpg", SmoothPattern(37, 29, 3), {cv::IMWRITE_JPEG_QUALITY, 90}), 1);
  ExpectLikeOpenCv(Encode(".jpg", SmoothPattern(16, 16, 3),
                          {cv::IMWRITE_JPEG_QUALITY, 75, cv::IMWRITE_JPEG_PROGRESSIVE, 1}),
                   1);
}

TEST(ImageCodecJpegTest, AdobeRgbIsConverted) {
  const cv::Mat rgb = SmoothPattern(12, 10, 3);
  ExpectLikeOpenCv(LibjpegWrite(12, 10, 3, JCS_RGB, JCS_RGB, Bytes(rgb)), 1);
}

TEST(ImageCodecJpegTest, CmykIsRefused) {
  const std::string cmyk =
      LibjpegWrite(8, 8, 4, JCS_CMYK, JCS_CMYK, std::vector<uint8_t>(size_t{8} * 8 * 4, 100));
  Result<GrayImage> image = DecodeJpeg(cmyk);
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().message(),
            "JPEG: CMYK colour is not supported (only grey, YCbCr and RGB)");
}

TEST(ImageCodecJpegTest, LibjpegErrorsBecomeTheMessage) {
  std::string jpeg = Encode(".jpg", SmoothPattern(8, 8, 1));
  jpeg[1] = 'x';  // no SOI marker
  Result<GrayImage> image = DecodeJpeg(jpeg);
  ASSERT_FALSE(image.ok());
  EXPECT_TRUE(image.status().message().starts_with("JPEG: Not a JPEG file"))
      << image.status().message();
}

// --- BMP ----------------------------------------------------------------------

void Put16(std::string& s, uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void Put32(std::string& s, uint32_t v) {
  Put16(s, v & 0xffff);
  Put16(s, v >> 16);
}

// How to build one BMP by hand.
struct BmpLayout {
  int header_size = 40;
  int bpp = 24;
  uint32_t compression = 0;
  bool top_down = false;
  std::array<uint32_t, 3> masks = {0, 0, 0};    // R, G, B; written for BI_BITFIELDS
  std::vector<std::array<uint8_t, 3>> palette;  // RGB
};

// A BMP of `rows` x `cols` packed pixel values (palette indices, or the
// bytes of a pixel as a little-endian number), given top row first.
std::string MakeBmp(const BmpLayout& layout, int rows, int cols,
                    const std::vector<uint32_t>& values) {
  const size_t stride = (static_cast<size_t>(cols) * layout.bpp + 31) / 32 * 4;
  std::string header;
  Put32(header, static_cast<uint32_t>(layout.header_size));
  if (layout.header_size == 12) {
    Put16(header, static_cast<uint32_t>(cols));
    Put16(header, static_cast<uint32_t>(rows));
    Put16(header, 1);
    Put16(header, static_cast<uint32_t>(layout.bpp));
  } else {
    Put32(header, static_cast<uint32_t>(cols));
    Put32(header, static_cast<uint32_t>(layout.top_down ? -rows : rows));
    Put16(header, 1);
    Put16(header, static_cast<uint32_t>(layout.bpp));
    Put32(header, layout.compression);
    Put32(header, static_cast<uint32_t>(stride * static_cast<size_t>(rows)));
    Put32(header, 2835);
    Put32(header, 2835);
    Put32(header, static_cast<uint32_t>(layout.palette.size()));
    Put32(header, 0);
    const bool bitfields = layout.compression == 3;
    if (layout.header_size > 40 || bitfields) {  // masks inside or right after the header
      for (uint32_t mask : layout.masks) {
        Put32(header, bitfields ? mask : 0);
      }
    }
    while (header.size() < static_cast<size_t>(layout.header_size)) {
      header += '\0';
    }
  }
  for (const auto& [r, g, b] : layout.palette) {
    header += static_cast<char>(b);
    header += static_cast<char>(g);
    header += static_cast<char>(r);
    if (layout.header_size != 12) {
      header += '\0';
    }
  }
  std::string pixels(stride * static_cast<size_t>(rows), '\0');
  for (int r = 0; r < rows; ++r) {
    const size_t file_row =
        layout.top_down ? static_cast<size_t>(r) : static_cast<size_t>(rows - 1 - r);
    char* row = pixels.data() + file_row * stride;
    for (int c = 0; c < cols; ++c) {
      const uint32_t v = values[static_cast<size_t>(r) * cols + c];
      if (layout.bpp < 8) {
        const int per_byte = 8 / layout.bpp;
        const int shift = (per_byte - 1 - c % per_byte) * layout.bpp;
        row[c / per_byte] = static_cast<char>(row[c / per_byte] | (v << shift));
      } else {
        for (int k = 0; k < layout.bpp / 8; ++k) {
          row[c * (layout.bpp / 8) + k] = static_cast<char>((v >> (8 * k)) & 0xff);
        }
      }
    }
  }
  std::string file = "BM";
  Put32(file, static_cast<uint32_t>(14 + header.size() + pixels.size()));
  Put32(file, 0);
  Put32(file, static_cast<uint32_t>(14 + header.size()));
  return file + header + pixels;
}

// Grey of `rgb` (rows x cols, RGB) through OpenCV imgproc.
cv::Mat GreyOf(const std::vector<uint8_t>& rgb, int rows, int cols) {
  cv::Mat mat(rows, cols, CV_8UC3, const_cast<uint8_t*>(rgb.data()));
  cv::Mat gray;
  cv::cvtColor(mat, gray, cv::COLOR_RGB2GRAY);
  return gray;
}

// Decodes and compares with `expected`, and with OpenCV when it reads the file.
void ExpectBmp(const std::string& bmp, const cv::Mat& expected, bool opencv_reads = true) {
  Result<GrayImage> ours = DecodeBmp(bmp);
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  EXPECT_EQ(MaxDifference(*ours, expected), 0);
  if (opencv_reads) {
    const cv::Mat theirs = OpenCvGray(bmp);
    ASSERT_FALSE(theirs.empty()) << "OpenCV cannot decode the input";
    EXPECT_EQ(MaxDifference(*ours, theirs), 0);
  }
}

class ImageCodecBmpPaletteTest : public ::testing::TestWithParam<std::tuple<int, int, bool>> {};

TEST_P(ImageCodecBmpPaletteTest, MatchesOpenCv) {
  const auto [bpp, cols, top_down] = GetParam();
  const int rows = 5;
  BmpLayout layout;
  layout.bpp = bpp;
  layout.top_down = top_down;
  cv::RNG rng(static_cast<uint64_t>(bpp * 100 + cols));
  const int colours = 1 << bpp;
  for (int i = 0; i < colours; ++i) {
    layout.palette.push_back({static_cast<uint8_t>(rng.uniform(0, 256)),
                              static_cast<uint8_t>(rng.uniform(0, 256)),
                              static_cast<uint8_t>(rng.uniform(0, 256))});
  }
  std::vector<uint32_t> indices(static_cast<size_t>(rows * cols));
  std::vector<uint8_t> rgb;
  for (uint32_t& index : indices) {
    index = static_cast<uint32_t>(rng.uniform(0, colours));
    rgb.insert(rgb.end(), layout.palette[index].begin(), layout.palette[index].end());
  }
  ExpectBmp(MakeBmp(layout, rows, cols, indices), GreyOf(rgb, rows, cols));
}

INSTANTIATE_TEST_SUITE_P(Depths, ImageCodecBmpPaletteTest,
                         ::testing::Combine(::testing::Values(1, 4, 8), ::testing::Values(1, 3, 13),
                                            ::testing::Bool()));

TEST(ImageCodecBmpTest, OpenCvWrittenFilesMatch) {
  for (int cols : {1, 2, 3, 7, 13}) {
    ExpectLikeOpenCv(Encode(".bmp", Pattern(5, cols, CV_8UC1)));
    ExpectLikeOpenCv(Encode(".bmp", Pattern(5, cols, CV_8UC3)));
    ExpectLikeOpenCv(Encode(".bmp", Pattern(5, cols, CV_8UC4)));
  }
}

// Packs random RGB into `bpp`-bit pixels with `masks`; returns the values and
// the grey a correct decoder gives (narrow fields in the high bits).
struct Packed {
  std::vector<uint32_t> values;
  cv::Mat expected;
};

Packed Pack(int rows, int cols, int bpp, std::array<uint32_t, 3> masks) {
  Packed packed;
  std::vector<uint8_t> rgb;
  cv::RNG rng(static_cast<uint64_t>(rows * 31 + cols + bpp + masks[0]));
  for (int i = 0; i < rows * cols; ++i) {
    uint32_t pixel = bpp == 32 ? static_cast<uint32_t>(rng.uniform(0, 256)) << 24 : 0;  // junk
    for (uint32_t mask : masks) {
      const int shift = std::countr_zero(mask);
      const int bits = std::popcount(mask);
      const auto field = static_cast<uint32_t>(rng.uniform(0, 1 << bits));
      pixel = (pixel & ~mask) | (field << shift);
      rgb.push_back(static_cast<uint8_t>(bits >= 8 ? field >> (bits - 8) : field << (8 - bits)));
    }
    packed.values.push_back(pixel);
  }
  packed.expected = GreyOf(rgb, rows, cols).clone();
  return packed;
}

TEST(ImageCodecBmpTest, SixteenBit555) {
  for (bool top_down : {false, true}) {
    BmpLayout layout;
    layout.bpp = 16;
    layout.top_down = top_down;
    const Packed p = Pack(4, 7, 16, {0x7c00, 0x03e0, 0x001f});
    ExpectBmp(MakeBmp(layout, 4, 7, p.values), p.expected);
  }
}

TEST(ImageCodecBmpTest, SixteenBitBitfields) {
  BmpLayout layout;
  layout.bpp = 16;
  layout.compression = 3;
  layout.masks = {0xf800, 0x07e0, 0x001f};  // 5-6-5
  Packed p = Pack(3, 5, 16, layout.masks);
  ExpectBmp(MakeBmp(layout, 3, 5, p.values), p.expected);
  layout.masks = {0x0f00, 0x00f0, 0x000f};  // 4-4-4: OpenCV does not read it
  p = Pack(3, 5, 16, layout.masks);
  ExpectBmp(MakeBmp(layout, 3, 5, p.values), p.expected, /*opencv_reads=*/false);
}

TEST(ImageCodecBmpTest, ThirtyTwoBitBitfieldsAnyMasks) {
  BmpLayout layout;
  layout.bpp = 32;
  layout.compression = 3;
  layout.masks = {0x00ff0000, 0x0000ff00, 0x000000ff};
  Packed p = Pack(3, 5, 32, layout.masks);
  ExpectBmp(MakeBmp(layout, 3, 5, p.values), p.expected);
  // 10-bit fields and blue-green-red order: ours only.
  layout.masks = {0x000003ff, 0x000ffc00, 0x3ff00000};
  layout.top_down = true;
  p = Pack(3, 5, 32, layout.masks);
  ExpectBmp(MakeBmp(layout, 3, 5, p.values), p.expected, /*opencv_reads=*/false);
}

TEST(ImageCodecBmpTest, EveryHeaderSize) {
  for (int header_size : {12, 40, 52, 56, 108, 124}) {
    SCOPED_TRACE(header_size);
    BmpLayout layout;
    layout.header_size = header_size;
    layout.bpp = 24;
    const Packed p = Pack(4, 3, 24, {0xff0000, 0x00ff00, 0x0000ff});
    ExpectBmp(MakeBmp(layout, 4, 3, p.values), p.expected);
    // 8-bit palette, 3-byte entries in the core header
    layout.bpp = 8;
    layout.palette = {{10, 200, 30}, {250, 0, 90}, {0, 0, 255}};
    if (header_size == 12) {  // the core header implies all 256 entries
      layout.palette.resize(256, {0, 0, 0});
    }
    std::vector<uint8_t> rgb;
    std::vector<uint32_t> indices = {0, 1, 2, 2, 1, 0, 1, 1, 0, 2, 2, 2};
    for (uint32_t i : indices) {
      rgb.insert(rgb.end(), layout.palette[i].begin(), layout.palette[i].end());
    }
    ExpectBmp(MakeBmp(layout, 4, 3, indices), GreyOf(rgb, 4, 3));
  }
}

TEST(ImageCodecBmpTest, RleIsRefused) {
  BmpLayout layout;
  layout.bpp = 8;
  layout.compression = 1;
  layout.palette = {{0, 0, 0}};
  Result<GrayImage> image = DecodeBmp(MakeBmp(layout, 2, 2, {0, 0, 0, 0}));
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().message(), "BMP: RLE8 compression (1) is not supported");
}

TEST(ImageCodecBmpTest, BadHeadersAreNamed) {
  BmpLayout layout;
  std::string bmp = MakeBmp(layout, 2, 2, {0, 0, 0, 0});
  std::string odd = bmp;
  odd[14] = 64;  // header size
  EXPECT_EQ(DecodeBmp(odd).status().message(),
            "BMP: unsupported header size 64 (expected 12, 40, 52, 56, 108 or 124)");
  odd = bmp;
  odd[28] = 2;  // bit depth
  EXPECT_EQ(DecodeBmp(odd).status().message(), "BMP: unsupported bit depth 2");
  odd = bmp;
  odd[10] = static_cast<char>(0xff);  // pixel data offset past the end
  EXPECT_TRUE(DecodeBmp(odd).status().message().starts_with("BMP: truncated pixel data"))
      << DecodeBmp(odd).status().message();
}

// --- netpbm -------------------------------------------------------------------

TEST(ImageCodecNetpbmTest, OpenCvWrittenFilesMatch) {
  for (int binary : {1, 0}) {
    SCOPED_TRACE(binary);
    const std::vector<int> params = {cv::IMWRITE_PXM_BINARY, binary};
    ExpectLikeOpenCv(Encode(".pgm", Pattern(5, 7, CV_8UC1), params));
    ExpectLikeOpenCv(Encode(".ppm", Pattern(5, 7, CV_8UC3), params));
    ExpectLikeOpenCv(Encode(".pgm", Pattern(5, 7, CV_16UC1), params));
    ExpectLikeOpenCv(Encode(".ppm", Pattern(5, 7, CV_16UC3), params));
    cv::Mat bits = Pattern(5, 11, CV_8UC1);
    cv::threshold(bits, bits, 127, 255, cv::THRESH_BINARY);
    ExpectLikeOpenCv(Encode(".pbm", bits, params));
  }
}

TEST(ImageCodecNetpbmTest, HandMadePlainFilesMatchOpenCv) {
  ExpectLikeOpenCv("P1\n# a comment\n3 2\n1 0 1\n0 1 0\n");
  ExpectLikeOpenCv("P2 # comment after the magic\n3 2\n255\n0 128 255\n# mid-raster\n1 2 3\n");
  ExpectLikeOpenCv("P3\n2 1 255\n255 0 0   0 0 255\n");
}

TEST(ImageCodecNetpbmTest, PlainBitsNeedNoSeparators) {
  Result<GrayImage> image = DecodeNetpbm("P1 4 1 0110");
  ASSERT_TRUE(image.ok()) << image.status().message();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{255, 0, 0, 255}));
}

TEST(ImageCodecNetpbmTest, MaxvalIsScaledWithRounding) {
  Result<GrayImage> image = DecodeNetpbm("P2 4 1 15 0 1 8 15\n");
  ASSERT_TRUE(image.ok()) << image.status().message();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{0, 17, 136, 255}));
  // Raw 16-bit samples, big-endian, maxval 1000.
  image = DecodeNetpbm(std::string("P5 3 1 1000\n\x00\x00\x01\xf4\x03\xe8", 18));
  ASSERT_TRUE(image.ok()) << image.status().message();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{0, 128, 255}));
  image = DecodeNetpbm("P2 1 1 1\n1\n");
  ASSERT_TRUE(image.ok()) << image.status().message();
  EXPECT_EQ(image->pixels, (std::vector<uint8_t>{255}));
}

TEST(ImageCodecNetpbmTest, BadFilesAreNamed) {
  EXPECT_EQ(DecodeNetpbm("P2 2 1 15 3 16\n").status().message(),
            "PGM: sample 1 is 16, above maxval 15");
  EXPECT_EQ(DecodeNetpbm("P5 2 1 0\n\x01\x02").status().message(),
            "PGM: maxval 0 (expected 1..65535)");
  EXPECT_EQ(DecodeNetpbm("P5 2 1 70000\n").status().message(),
            "PGM: the maxval at byte 7 exceeds 65535");
  EXPECT_EQ(DecodeNetpbm("P6 x").status().message(),
            "PPM: expected the width at byte 3, found 'x'");
  EXPECT_EQ(DecodeNetpbm("P1 2 2 0 1 2 0").status().message(),
            "PBM: expected 0 or 1 at byte 11, found '2'");
}

// --- hostile input ------------------------------------------------------------

std::vector<std::pair<std::string, std::string>> SampleFiles() {
  return {
      {"png grey", Encode(".png", Pattern(6, 5, CV_8UC1))},
      {"png rgba", Encode(".png", Pattern(6, 5, CV_8UC4))},
      {"jpeg grey", Encode(".jpg", SmoothPattern(9, 17, 1))},
      {"jpeg colour", Encode(".jpg", SmoothPattern(9, 17, 3))},
      {"bmp 8", Encode(".bmp", Pattern(6, 5, CV_8UC1))},
      {"bmp 24", Encode(".bmp", Pattern(6, 5, CV_8UC3))},
      {"pgm", Encode(".pgm", Pattern(6, 5, CV_8UC1))},
      {"pgm 16", Encode(".pgm", Pattern(6, 5, CV_16UC1))},
      {"ppm", Encode(".ppm", Pattern(6, 5, CV_8UC3))},
      {"pbm", Encode(".pbm", Pattern(6, 5, CV_8UC1) > 127)},
  };
}

TEST(ImageCodecHostileTest, EveryTruncationIsACleanError) {
  for (const auto& [name, bytes] : SampleFiles()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(DecodeImage(bytes).ok()) << DecodeImage(bytes).status().message();
    for (size_t n = 0; n < bytes.size(); ++n) {
      Result<GrayImage> image = DecodeImage(std::string_view(bytes).substr(0, n));
      EXPECT_FALSE(image.ok()) << "a " << n << "-byte prefix of " << bytes.size() << " decoded";
      EXPECT_EQ(image.status().code(), Code::kInvalid);
    }
  }
}

TEST(ImageCodecHostileTest, PlainNetpbmTruncationsNeverCrash) {
  const std::string pgm = "P2\n# c\n3 2\n255\n0 128 255\n1 2 3\n";
  for (size_t n = 0; n < pgm.size(); ++n) {
    Result<GrayImage> image = DecodeImage(std::string_view(pgm).substr(0, n));
    // Cutting inside the last number leaves a shorter, valid file.
    EXPECT_EQ(image.ok(), n == pgm.size() - 1) << n;
  }
}

TEST(ImageCodecHostileTest, FlippedBytesNeverCrash) {
  for (const auto& [name, bytes] : SampleFiles()) {
    SCOPED_TRACE(name);
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (int flip : {0x01, 0x80, 0xff}) {
        std::string bad = bytes;
        bad[i] = static_cast<char>(bad[i] ^ flip);
        Result<GrayImage> image = DecodeImage(bad);
        if (image.ok()) {
          EXPECT_EQ(image->pixels.size(),
                    static_cast<size_t>(image->rows) * static_cast<size_t>(image->cols));
        } else {
          EXPECT_EQ(image.status().code(), Code::kInvalid);
        }
      }
    }
  }
}

TEST(ImageCodecHostileTest, EmptyAndUnknownInput) {
  EXPECT_EQ(DecodeImage("").status().message(), "empty input");
  EXPECT_EQ(DecodeImage("GIF89a").status().message(),
            "unknown format (expected PNG, JPEG, BMP or netpbm)");
  EXPECT_FALSE(DecodePng("").ok());
  EXPECT_FALSE(DecodeJpeg("").ok());
  EXPECT_FALSE(DecodeBmp("").ok());
  EXPECT_FALSE(DecodeNetpbm("").ok());
}

TEST(ImageCodecHostileTest, PixelLimitComesBeforeAllocation) {
  for (const auto& [name, bytes] : SampleFiles()) {
    SCOPED_TRACE(name);
    Result<GrayImage> image = DecodeImage(bytes);
    ASSERT_TRUE(image.ok()) << image.status().message();
    const int64_t pixels = int64_t{image->rows} * image->cols;
    EXPECT_TRUE(DecodeImage(bytes, pixels).ok());
    image = DecodeImage(bytes, pixels - 1);
    ASSERT_FALSE(image.ok());
    EXPECT_TRUE(image.status().message().ends_with(
        fmt::format("more than the limit of {} pixels", pixels - 1)))
        << image.status().message();
  }
  // Headers claiming 100000 x 100000 pixels in a few bytes.
  EXPECT_EQ(DecodeImage("P5 100000 100000 255\n").status().message(),
            "PGM: image is 100000x100000 pixels, more than the limit of 67108864 pixels");
  BmpLayout layout;
  std::string bmp = MakeBmp(layout, 1, 1, {0});
  bmp[18] = bmp[22] = 0;
  bmp[19] = bmp[23] = static_cast<char>(0x80);
  bmp[20] = bmp[24] = 0x01;  // 0x18000 = 98304 each way
  EXPECT_EQ(DecodeBmp(bmp).status().message(),
            "BMP: image is 98304x98304 pixels, more than the limit of 67108864 pixels");
}

// --- gray_image.h, now on top of image_codec ----------------------------------

TEST(GrayImageTest, DecodeErrorsNameTheInput) {
  EXPECT_EQ(DecodeGrayImage("", "upload").status().message(),
            "upload: cannot decode image: empty input");
  EXPECT_EQ(DecodeGrayImage("P5 2 2 255\n", "x.pgm").status().message(),
            "x.pgm: cannot decode image: PGM: truncated: 2 rows of 2 bytes from byte 11, but "
            "the file has 11 bytes");
}

TEST(GrayImageTest, WritesAndReadsPngFiles) {
  testing::TempDir dir;
  GrayImage image = MakeGrayImage(3, 4, 7);
  image.at(1, 2) = 200;
  ASSERT_TRUE(WritePng(dir / "a.png", image).ok());
  Result<GrayImage> back = ReadGrayImage(dir / "a.png");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->pixels, image.pixels);
  EXPECT_EQ(ReadGrayImage(dir / "a.png", 11).status().message(),
            (dir / "a.png").string() +
                ": cannot decode image: PNG: image is 4x3 pixels, more than the limit of 11 "
                "pixels");
  EXPECT_EQ(ReadGrayImage(dir / "missing.png").status().code(), Code::kIo);
}

TEST(GrayImageTest, ReadsTheDigitsSample) {
  const std::string dir = CONVEYOR_ML_TESTDATA "/../../../examples/digits/";
  for (const char* name : {"sample-digit.png", "sample-digit.pgm"}) {
    SCOPED_TRACE(name);
    Result<GrayImage> ours = ReadGrayImage(dir + name);
    ASSERT_TRUE(ours.ok()) << ours.status().message();
    std::ifstream file(dir + name, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(file), {}};
    EXPECT_EQ(MaxDifference(*ours, OpenCvGray(bytes)), 0);
  }
}

}  // namespace
}  // namespace conveyor::ml
