// Image codecs (see image_codec.h): libpng's simplified API for PNG, libjpeg
// for JPEG, and bounds-checked parsers of our own for BMP and netpbm. Colour
// samples are gathered as interleaved RGB(A) and handed to OpenCV imgproc's
// cvtColor, the one place colour becomes grey.
#include "ml/image_codec.h"

#include <png.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

// jpeglib.h needs FILE declared before it: <cstdio> above.
// clang-format off
#include <jerror.h>
#include <jpeglib.h>
// clang-format on

namespace conveyor::ml {
namespace {

Status Invalid(std::string message) { return Status(Code::kInvalid, std::move(message)); }

uint32_t Le16(std::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8;
}

uint32_t Le32(std::string_view b, size_t at) { return Le16(b, at) | Le16(b, at + 2) << 16; }

uint32_t Be32(std::string_view b, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    value = value << 8 | static_cast<uint8_t>(b[at + i]);
  }
  return value;
}

// True when [at, at + n) lies inside `b`.
bool Has(std::string_view b, uint64_t at, uint64_t n) {
  return at <= b.size() && n <= b.size() - at;
}

// Refuses dimensions that are not positive, do not fit an int, or exceed
// `max_pixels` in all: the check that comes before any allocation.
Status CheckDimensions(std::string_view format, int64_t width, int64_t height, int64_t max_pixels) {
  if (width <= 0 || height <= 0) {
    return Error(Code::kInvalid, "{}: image is {}x{} pixels", format, width, height);
  }
  if (width > INT_MAX || height > INT_MAX || width > max_pixels / height) {
    return Error(Code::kInvalid, "{}: image is {}x{} pixels, more than the limit of {} pixels",
                 format, width, height, max_pixels);
  }
  return OkStatus();
}

// Grey from `rows` x `cols` interleaved 8-bit samples, `channels` (3: RGB,
// 4: RGBA, alpha ignored) per pixel, rows `stride` bytes apart.
Result<GrayImage> GrayFromRgb(std::string_view format, const uint8_t* samples, int rows, int cols,
                              int channels, size_t stride) {
  GrayImage image = MakeGrayImage(rows, cols);
  try {
    const cv::Mat source(rows, cols, CV_8UC(channels), const_cast<uint8_t*>(samples), stride);
    cv::Mat gray(rows, cols, CV_8UC1, image.pixels.data());
    cv::cvtColor(source, gray, channels == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);
    if (gray.data != image.pixels.data()) {
      return Error(Code::kInternal, "{}: colour conversion reallocated its output", format);
    }
  } catch (const cv::Exception& e) {
    return Error(Code::kInternal, "{}: colour conversion failed: {}", format, e.what());
  }
  return image;
}

// Grey for each of `count` RGB palette entries.
Result<std::vector<uint8_t>> GrayPalette(std::string_view format, const std::vector<uint8_t>& rgb) {
  const int count = static_cast<int>(rgb.size() / 3);
  ASSIGN_OR_RETURN(GrayImage gray, GrayFromRgb(format, rgb.data(), 1, count, 3, rgb.size()));
  return std::move(gray.pixels);
}

// ----------------------------------------------------------------------------
// PNG

// png_image_free at scope exit; harmless once libpng has freed it itself.
struct PngImageGuard {
  png_image* image;
  ~PngImageGuard() { png_image_free(image); }
};

// libpng's simplified reader stops after the image data, so a file cut short
// in its trailing chunks would pass; this walks the chunks to IEND.
Status CheckPngChunks(std::string_view b) {
  constexpr size_t kSignature = 8;
  for (size_t at = kSignature;;) {
    if (!Has(b, at, 12)) {
      return Error(Code::kInvalid, "PNG: truncated: the file ends at byte {} before IEND",
                   b.size());
    }
    const uint32_t length = Be32(b, at);
    if (length > 0x7fffffff || !Has(b, at, uint64_t{12} + length)) {
      return Error(Code::kInvalid,
                   "PNG: truncated: the chunk at byte {} needs {} bytes, the file has {}", at,
                   uint64_t{12} + length, b.size());
    }
    if (b.substr(at + 4, 4) == "IEND") {
      return OkStatus();
    }
    at += size_t{12} + length;
  }
}

Status PngError(const png_image& image) {
  return Error(Code::kInvalid, "PNG: {}", image.message[0] != '\0' ? image.message : "bad data");
}

}  // namespace

Result<GrayImage> DecodePng(std::string_view bytes, int64_t max_pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  PngImageGuard guard{&image};
  if (png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()) == 0) {
    return PngError(image);
  }
  RETURN_IF_ERROR(CheckPngChunks(bytes));
  RETURN_IF_ERROR(CheckDimensions("PNG", image.width, image.height, max_pixels));
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  const bool alpha = (image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  if ((image.format & PNG_FORMAT_FLAG_LINEAR) != 0) {
    // Without this libpng takes 16-bit samples as linear light and
    // gamma-encodes them on the way to 8 bits; with it they are scaled.
    image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  }
  image.format = colour ? (alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB)
                        : (alpha ? PNG_FORMAT_GA : PNG_FORMAT_GRAY);
  const int rows = static_cast<int>(image.height);
  const int cols = static_cast<int>(image.width);
  const int channels = static_cast<int>(PNG_IMAGE_PIXEL_CHANNELS(image.format));
  const int64_t stride = int64_t{cols} * channels;
  if (stride > std::numeric_limits<png_int_32>::max()) {
    return Error(Code::kInvalid, "PNG: rows of {} pixels are too wide", cols);
  }
  std::vector<uint8_t> samples(static_cast<size_t>(stride) * static_cast<size_t>(rows));
  if (png_image_finish_read(&image, nullptr, samples.data(), static_cast<png_int_32>(stride),
                            nullptr) == 0) {
    return PngError(image);
  }
  if (colour) {
    return GrayFromRgb("PNG", samples.data(), rows, cols, channels, static_cast<size_t>(stride));
  }
  GrayImage gray;
  gray.rows = rows;
  gray.cols = cols;
  if (alpha) {  // grey + alpha: keep every other byte
    gray.pixels.resize(samples.size() / 2);
    for (size_t i = 0; i < gray.pixels.size(); ++i) {
      gray.pixels[i] = samples[2 * i];
    }
  } else {
    gray.pixels = std::move(samples);
  }
  return gray;
}

Result<std::string> EncodeGrayPng(const GrayImage& image) {
  if (image.rows <= 0 || image.cols <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.rows) * static_cast<size_t>(image.cols)) {
    return Error(Code::kInvalid, "PNG: cannot encode a {}x{} image of {} pixels", image.cols,
                 image.rows, image.pixels.size());
  }
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.cols);
  png.height = static_cast<png_uint_32>(image.rows);
  png.format = PNG_FORMAT_GRAY;
  PngImageGuard guard{&png};
  // An upper bound of the encoded size, so one pass suffices.
  png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(png);
  std::string out(size, '\0');
  if (png_image_write_to_memory(&png, out.data(), &size, 0, image.pixels.data(), image.cols,
                                nullptr) == 0) {
    return Error(Code::kInternal, "PNG: cannot encode a {}x{} image: {}", image.cols, image.rows,
                 png.message);
  }
  out.resize(size);
  return out;
}

// ----------------------------------------------------------------------------
// JPEG
//
// libjpeg reports a fatal error by calling error_exit, which must not return:
// ours longjmps back to RunJpegStep. That function, and every libjpeg frame
// the jump crosses, holds only plain C data, so no destructor is skipped.

namespace {

struct JpegErrors {
  jpeg_error_mgr manager;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;  // libjpeg ran out of data and invented an end marker
};

void JpegErrorExit(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// Warnings (level -1) are kept quiet; running out of data is remembered.
void JpegEmitMessage(j_common_ptr info, int level) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) {
    errors->truncated = true;
  }
}

enum class JpegStep { kHeader, kStart, kRows };

struct JpegJob {
  jpeg_decompress_struct info;
  JpegErrors errors;
  const unsigned char* data;
  unsigned long size;  // NOLINT(google-runtime-int): libjpeg's type
  unsigned char* pixels;
  size_t stride;
};

// Runs one stage of decoding; false when libjpeg gave up (the reason is in
// job->errors.message). Plain C only from here down: see above.
bool RunJpegStep(JpegJob* job, JpegStep step) {
  if (setjmp(job->errors.jump) != 0) {
    return false;
  }
  switch (step) {
    case JpegStep::kHeader:
      jpeg_CreateDecompress(&job->info, JPEG_LIB_VERSION, sizeof(job->info));
      jpeg_mem_src(&job->info, job->data, job->size);
      jpeg_read_header(&job->info, TRUE);
      break;
    case JpegStep::kStart:
      jpeg_start_decompress(&job->info);
      break;
    case JpegStep::kRows:
      while (job->info.output_scanline < job->info.output_height) {
        JSAMPROW row = job->pixels + job->stride * job->info.output_scanline;
        jpeg_read_scanlines(&job->info, &row, 1);
      }
      jpeg_finish_decompress(&job->info);
      break;
  }
  return true;
}

struct JpegJobGuard {
  JpegJob* job;
  // Safe on a never-created object: libjpeg checks for its memory manager.
  ~JpegJobGuard() { jpeg_destroy_decompress(&job->info); }
};

std::string_view JpegColourName(J_COLOR_SPACE space) {
  switch (space) {
    case JCS_CMYK:
      return "CMYK";
    case JCS_YCCK:
      return "YCCK";
    default:
      return "unknown";
  }
}

}  // namespace

Result<GrayImage> DecodeJpeg(std::string_view bytes, int64_t max_pixels) {
  JpegJob job{};
  job.info.err = jpeg_std_error(&job.errors.manager);
  job.errors.manager.error_exit = JpegErrorExit;
  job.errors.manager.emit_message = JpegEmitMessage;
  job.data = reinterpret_cast<const unsigned char*>(bytes.data());
  job.size = bytes.size();
  JpegJobGuard guard{&job};
  auto failed = [&job]() { return Error(Code::kInvalid, "JPEG: {}", job.errors.message); };
  if (!RunJpegStep(&job, JpegStep::kHeader)) {
    return failed();
  }
  RETURN_IF_ERROR(CheckDimensions("JPEG", job.info.image_width, job.info.image_height, max_pixels));
  int channels = 1;
  switch (job.info.jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_YCbCr:
      job.info.out_color_space = JCS_GRAYSCALE;
      break;
    case JCS_RGB:
      job.info.out_color_space = JCS_RGB;
      channels = 3;
      break;
    default:
      return Error(Code::kInvalid, "JPEG: {} colour is not supported (only grey, YCbCr and RGB)",
                   JpegColourName(job.info.jpeg_color_space));
  }
  if (!RunJpegStep(&job, JpegStep::kStart)) {
    return failed();
  }
  const int rows = static_cast<int>(job.info.output_height);
  const int cols = static_cast<int>(job.info.output_width);
  if (job.info.output_components != channels || rows != static_cast<int>(job.info.image_height) ||
      cols != static_cast<int>(job.info.image_width)) {
    return Error(Code::kInternal, "JPEG: libjpeg chose {}x{}x{} output for a {}x{} image", cols,
                 rows, job.info.output_components, job.info.image_width, job.info.image_height);
  }
  std::vector<uint8_t> samples(static_cast<size_t>(rows) * static_cast<size_t>(cols) *
                               static_cast<size_t>(channels));
  job.pixels = samples.data();
  job.stride = static_cast<size_t>(cols) * static_cast<size_t>(channels);
  if (!RunJpegStep(&job, JpegStep::kRows)) {
    return failed();
  }
  if (job.errors.truncated) {
    return Invalid("JPEG: truncated data (the file ends before its end marker)");
  }
  if (channels == 3) {
    return GrayFromRgb("JPEG", samples.data(), rows, cols, 3, job.stride);
  }
  GrayImage gray;
  gray.rows = rows;
  gray.cols = cols;
  gray.pixels = std::move(samples);
  return gray;
}

// ----------------------------------------------------------------------------
// BMP

namespace {

// One colour field of a BMP pixel: where it is, and how to widen or narrow it
// to 8 bits (narrow fields fill the high bits).
struct BmpField {
  uint32_t mask = 0;
  int shift = 0;  // position of the lowest set bit of mask
  int bits = 0;   // width of the field

  uint8_t Extract(uint32_t pixel) const {
    if (bits == 0) {
      return 0;
    }
    const uint32_t value = (pixel & mask) >> shift;
    return static_cast<uint8_t>(bits >= 8 ? value >> (bits - 8) : value << (8 - bits));
  }
};

Result<BmpField> MakeBmpField(uint32_t mask, int bpp, char name) {
  BmpField field;
  field.mask = mask;
  if (mask == 0) {
    return field;
  }
  field.shift = std::countr_zero(mask);
  field.bits = std::popcount(mask);
  if (std::countr_one(mask >> field.shift) != field.bits) {
    return Error(Code::kInvalid, "BMP: the {} mask {:#010x} is not one run of bits", name, mask);
  }
  if (bpp < 32 && (mask >> bpp) != 0) {
    return Error(Code::kInvalid, "BMP: the {} mask {:#010x} does not fit {}-bit pixels", name, mask,
                 bpp);
  }
  return field;
}

std::string_view BmpCompressionName(uint32_t compression) {
  switch (compression) {
    case 1:
      return "RLE8";
    case 2:
      return "RLE4";
    case 4:
      return "embedded JPEG";
    case 5:
      return "embedded PNG";
    default:
      return "unknown";
  }
}

Status BmpTruncated(std::string_view what, uint64_t at, uint64_t n, size_t size) {
  return Error(Code::kInvalid, "BMP: truncated {}: needs bytes {}..{} of a {}-byte file", what, at,
               at + n, size);
}

}  // namespace

Result<GrayImage> DecodeBmp(std::string_view b, int64_t max_pixels) {
  constexpr size_t kFileHeader = 14;
  if (!Has(b, 0, kFileHeader + 4)) {
    return BmpTruncated("header", 0, kFileHeader + 4, b.size());
  }
  if (b[0] != 'B' || b[1] != 'M') {
    return Invalid("BMP: no 'BM' signature");
  }
  const uint32_t data_offset = Le32(b, 10);
  const uint32_t header_size = Le32(b, kFileHeader);
  int64_t width = 0;
  int64_t height = 0;
  uint32_t bpp = 0;
  uint32_t compression = 0;  // BI_RGB
  uint32_t colours_used = 0;
  size_t palette_entry = 4;  // bytes per palette entry: B, G, R, unused
  if (header_size == 12) {   // BITMAPCOREHEADER
    if (!Has(b, kFileHeader, header_size)) {
      return BmpTruncated("header", kFileHeader, header_size, b.size());
    }
    width = Le16(b, 18);
    height = Le16(b, 20);
    bpp = Le16(b, 24);
    palette_entry = 3;
  } else if (header_size == 40 || header_size == 52 || header_size == 56 || header_size == 108 ||
             header_size == 124) {  // BITMAPINFOHEADER and its successors
    if (!Has(b, kFileHeader, header_size)) {
      return BmpTruncated("header", kFileHeader, header_size, b.size());
    }
    width = static_cast<int32_t>(Le32(b, 18));
    height = static_cast<int32_t>(Le32(b, 22));
    bpp = Le16(b, 28);
    compression = Le32(b, 30);
    colours_used = Le32(b, 46);
  } else {
    return Error(Code::kInvalid,
                 "BMP: unsupported header size {} (expected 12, 40, 52, 56, 108 "
                 "or 124)",
                 header_size);
  }
  const bool top_down = height < 0;
  height = std::abs(height);
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
    return Error(Code::kInvalid, "BMP: unsupported bit depth {}", bpp);
  }
  RETURN_IF_ERROR(CheckDimensions("BMP", width, height, max_pixels));

  // Where the palette starts: after the header, and after the masks that
  // follow a 40-byte header when there are any.
  uint64_t palette_at = kFileHeader + header_size;
  uint32_t masks[3] = {0, 0, 0};               // red, green, blue
  if (compression == 3 || compression == 6) {  // BI_BITFIELDS, BI_ALPHABITFIELDS
    if (bpp != 16 && bpp != 32) {
      return Error(Code::kInvalid, "BMP: BI_BITFIELDS with {}-bit pixels (expected 16 or 32)", bpp);
    }
    // Red, green and blue masks sit right after the 40-byte header's fields,
    // inside the larger headers and just past the 40-byte one.
    constexpr size_t kMasksAt = kFileHeader + 40;
    if (!Has(b, kMasksAt, 12)) {
      return BmpTruncated("colour masks", kMasksAt, 12, b.size());
    }
    for (int i = 0; i < 3; ++i) {
      masks[i] = Le32(b, kMasksAt + 4 * static_cast<size_t>(i));
    }
    if (header_size == 40) {
      palette_at += compression == 6 ? 16 : 12;
    }
  } else if (compression == 0) {
    if (bpp == 16) {  // 5-5-5, top bit unused
      masks[0] = 0x7c00;
      masks[1] = 0x03e0;
      masks[2] = 0x001f;
    } else {  // 24 and 32 bits: bytes B, G, R (, unused)
      masks[0] = 0xff0000;
      masks[1] = 0x00ff00;
      masks[2] = 0x0000ff;
    }
  } else {
    return Error(Code::kInvalid, "BMP: {} compression ({}) is not supported",
                 BmpCompressionName(compression), compression);
  }

  const int rows = static_cast<int>(height);
  const int cols = static_cast<int>(width);
  const uint64_t stride = (static_cast<uint64_t>(cols) * bpp + 31) / 32 * 4;
  if (data_offset > b.size() || stride > (b.size() - data_offset) / static_cast<uint64_t>(rows)) {
    return BmpTruncated("pixel data", data_offset, stride * static_cast<uint64_t>(rows), b.size());
  }
  // File row for image row r.
  auto row_at = [&](int r) {
    const uint64_t file_row =
        top_down ? static_cast<uint64_t>(r) : static_cast<uint64_t>(rows - 1 - r);
    return reinterpret_cast<const uint8_t*>(b.data()) + data_offset + file_row * stride;
  };

  if (bpp <= 8) {
    // As many entries as the header says (all 2^bpp when it says 0, and
    // always for the core header), but no more than fit before the pixels.
    const uint32_t capacity = 1u << bpp;
    uint32_t count = colours_used == 0 ? capacity : std::min(colours_used, capacity);
    if (data_offset >= palette_at) {
      count = static_cast<uint32_t>(
          std::min<uint64_t>(count, (data_offset - palette_at) / palette_entry));
    }
    if (count == 0) {
      return Error(Code::kInvalid, "BMP: {}-bit pixels but no palette", bpp);
    }
    if (!Has(b, palette_at, uint64_t{count} * palette_entry)) {
      return BmpTruncated("palette", palette_at, uint64_t{count} * palette_entry, b.size());
    }
    std::vector<uint8_t> rgb(size_t{count} * 3);
    for (size_t i = 0; i < count; ++i) {
      const size_t at = palette_at + i * palette_entry;
      rgb[3 * i] = static_cast<uint8_t>(b[at + 2]);
      rgb[3 * i + 1] = static_cast<uint8_t>(b[at + 1]);
      rgb[3 * i + 2] = static_cast<uint8_t>(b[at]);
    }
    ASSIGN_OR_RETURN(std::vector<uint8_t> palette, GrayPalette("BMP", rgb));
    palette.resize(256, 0);  // indices past the palette: black
    GrayImage image = MakeGrayImage(rows, cols);
    const uint32_t per_byte = 8 / bpp;
    const uint32_t index_mask = capacity - 1;
    for (int r = 0; r < rows; ++r) {
      const uint8_t* row = row_at(r);
      for (int c = 0; c < cols; ++c) {
        const auto column = static_cast<uint32_t>(c);
        const uint32_t shift = (per_byte - 1 - column % per_byte) * bpp;
        image.at(r, c) = palette[(row[column / per_byte] >> shift) & index_mask];
      }
    }
    return image;
  }

  BmpField fields[3];
  const char names[3] = {'R', 'G', 'B'};
  for (int i = 0; i < 3; ++i) {
    ASSIGN_OR_RETURN(fields[i], MakeBmpField(masks[i], static_cast<int>(bpp), names[i]));
  }
  const size_t pixel_bytes = bpp / 8;
  std::vector<uint8_t> rgb(static_cast<size_t>(rows) * static_cast<size_t>(cols) * 3);
  uint8_t* out = rgb.data();
  for (int r = 0; r < rows; ++r) {
    const uint8_t* in = row_at(r);
    for (int c = 0; c < cols; ++c, in += pixel_bytes) {
      uint32_t pixel = 0;
      for (size_t k = 0; k < pixel_bytes; ++k) {
        pixel |= static_cast<uint32_t>(in[k]) << (8 * k);
      }
      for (const BmpField& field : fields) {
        *out++ = field.Extract(pixel);
      }
    }
  }
  return GrayFromRgb("BMP", rgb.data(), rows, cols, 3, static_cast<size_t>(cols) * 3);
}

// ----------------------------------------------------------------------------
// netpbm

namespace {

// 'c' for a printable byte, else its hex value.
std::string Quoted(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x20 && byte < 0x7f ? fmt::format("'{}'", c) : fmt::format("byte {:#04x}", byte);
}

// Reads a netpbm file front to back; every read checks the end of input.
class NetpbmReader {
 public:
  NetpbmReader(std::string_view bytes, std::string_view format) : b_(bytes), format_(format) {}

  size_t position() const { return pos_; }
  void Skip(size_t n) { pos_ += n; }

  // Skips whitespace and '#' comments (to the end of their line).
  void SkipSpace() {
    while (pos_ < b_.size()) {
      const char c = b_[pos_];
      if (c == '#') {
        while (pos_ < b_.size() && b_[pos_] != '\n' && b_[pos_] != '\r') {
          ++pos_;
        }
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        ++pos_;
      } else {
        return;
      }
    }
  }

  // An unsigned decimal no larger than `max`, after optional space; `what`
  // names it in errors.
  Result<uint32_t> Number(std::string_view what, uint32_t max) {
    SkipSpace();
    if (pos_ >= b_.size()) {
      return Error(Code::kInvalid, "{}: truncated: the file ends before the {}", format_, what);
    }
    if (b_[pos_] < '0' || b_[pos_] > '9') {
      return Error(Code::kInvalid, "{}: expected the {} at byte {}, found {}", format_, what, pos_,
                   Quoted(b_[pos_]));
    }
    const size_t start = pos_;
    uint64_t value = 0;
    while (pos_ < b_.size() && b_[pos_] >= '0' && b_[pos_] <= '9') {
      value = value * 10 + static_cast<uint64_t>(b_[pos_] - '0');
      if (value > max) {
        return Error(Code::kInvalid, "{}: the {} at byte {} exceeds {}", format_, what, start, max);
      }
      ++pos_;
    }
    return static_cast<uint32_t>(value);
  }

  // A plain-PBM bit: '0' or '1', separators optional.
  Result<uint32_t> Bit() {
    SkipSpace();
    if (pos_ >= b_.size()) {
      return Error(Code::kInvalid, "{}: truncated: the file ends before the last pixel", format_);
    }
    const char c = b_[pos_++];
    if (c != '0' && c != '1') {
      return Error(Code::kInvalid, "{}: expected 0 or 1 at byte {}, found {}", format_, pos_ - 1,
                   Quoted(c));
    }
    return static_cast<uint32_t>(c - '0');
  }

 private:
  std::string_view b_;
  std::string_view format_;
  size_t pos_ = 0;
};

}  // namespace

Result<GrayImage> DecodeNetpbm(std::string_view b, int64_t max_pixels) {
  if (b.size() < 2 || b[0] != 'P' || b[1] < '1' || b[1] > '6') {
    return Invalid("netpbm: no P1..P6 signature");
  }
  const int kind = b[1] - '0';
  const bool plain = kind <= 3;
  const bool bitmap = kind == 1 || kind == 4;
  const int channels = (kind == 3 || kind == 6) ? 3 : 1;
  const std::string_view format = bitmap ? "PBM" : channels == 3 ? "PPM" : "PGM";
  NetpbmReader in(b, format);
  in.Skip(2);
  ASSIGN_OR_RETURN(const uint32_t width, in.Number("width", INT_MAX));
  ASSIGN_OR_RETURN(const uint32_t height, in.Number("height", INT_MAX));
  uint32_t maxval = 1;
  if (!bitmap) {
    ASSIGN_OR_RETURN(maxval, in.Number("maxval", 65535));
    if (maxval == 0) {
      return Error(Code::kInvalid, "{}: maxval 0 (expected 1..65535)", format);
    }
  }
  RETURN_IF_ERROR(CheckDimensions(format, width, height, max_pixels));
  const int rows = static_cast<int>(height);
  const int cols = static_cast<int>(width);
  const size_t count = static_cast<size_t>(rows) * static_cast<size_t>(cols) * channels;

  // Raw formats: exactly one whitespace byte, then the samples.
  const size_t sample_bytes = maxval > 255 ? 2 : 1;
  const size_t row_bytes = bitmap ? (static_cast<size_t>(cols) + 7) / 8
                                  : static_cast<size_t>(cols) * channels * sample_bytes;
  const size_t header_end = in.position();
  size_t data_at = 0;
  if (plain) {
    // Every sample takes at least one byte: a cheap bound before allocating.
    if (count > b.size() - header_end) {
      return Error(Code::kInvalid, "{}: truncated: {} samples cannot fit in the {} bytes left",
                   format, count, b.size() - header_end);
    }
  } else {
    if (header_end >= b.size() ||
        std::string_view(" \t\n\r\v\f").find(b[header_end]) == std::string_view::npos) {
      return Error(Code::kInvalid, "{}: expected one whitespace byte after the header at byte {}",
                   format, header_end);
    }
    data_at = header_end + 1;
    if (row_bytes > (b.size() - data_at) / static_cast<size_t>(rows)) {
      return Error(Code::kInvalid,
                   "{}: truncated: {} rows of {} bytes from byte {}, but the file has {} bytes",
                   format, rows, row_bytes, data_at, b.size());
    }
  }
  const auto* raw = reinterpret_cast<const uint8_t*>(b.data()) + (plain ? 0 : data_at);

  std::vector<uint8_t> samples(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t value = 0;
    if (bitmap) {
      if (plain) {
        ASSIGN_OR_RETURN(value, in.Bit());
      } else {
        const size_t r = i / static_cast<size_t>(cols);
        const size_t c = i % static_cast<size_t>(cols);
        value = (raw[r * row_bytes + c / 8] >> (7 - c % 8)) & 1u;
      }
      samples[i] = value != 0 ? 0 : 255;  // 1 is black
      continue;
    }
    if (plain) {
      ASSIGN_OR_RETURN(value, in.Number("sample", UINT32_MAX - 1));
    } else if (sample_bytes == 2) {  // big-endian
      value = static_cast<uint32_t>(raw[2 * i]) << 8 | raw[2 * i + 1];
    } else {
      value = raw[i];
    }
    if (value > maxval) {
      return Error(Code::kInvalid, "{}: sample {} is {}, above maxval {}", format, i, value,
                   maxval);
    }
    samples[i] = static_cast<uint8_t>((value * 255 + maxval / 2) / maxval);
  }
  if (channels == 3) {
    return GrayFromRgb(format, samples.data(), rows, cols, 3, static_cast<size_t>(cols) * 3);
  }
  GrayImage gray;
  gray.rows = rows;
  gray.cols = cols;
  gray.pixels = std::move(samples);
  return gray;
}

// ----------------------------------------------------------------------------

Result<GrayImage> DecodeImage(std::string_view bytes, int64_t max_pixels) {
  if (bytes.empty()) {
    return Invalid("empty input");
  }
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) {
    return DecodePng(bytes, max_pixels);
  }
  if (bytes.starts_with("\xff\xd8")) {
    return DecodeJpeg(bytes, max_pixels);
  }
  if (bytes.starts_with("BM")) {
    return DecodeBmp(bytes, max_pixels);
  }
  if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6') {
    return DecodeNetpbm(bytes, max_pixels);
  }
  return Invalid("unknown format (expected PNG, JPEG, BMP or netpbm)");
}

}  // namespace conveyor::ml
