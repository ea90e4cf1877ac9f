#include "serving/image_header.h"

#include <cctype>
#include <cstdlib>

namespace conveyor::serving {
namespace {

uint32_t Be16(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1]));
}

uint32_t Be32(std::string_view b, size_t at) { return (Be16(b, at) << 16) | Be16(b, at + 2); }

uint32_t Le16(std::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8);
}

uint32_t Le32(std::string_view b, size_t at) { return Le16(b, at) | (Le16(b, at + 2) << 16); }

Status Truncated(std::string_view format) {
  return Error(Code::kInvalid, "{}: truncated header", format);
}

Result<ImageHeader> Png(std::string_view b) {
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
  if (b.size() < 24) {
    return Truncated("png");
  }
  if (b.substr(12, 4) != "IHDR") {
    return Error(Code::kInvalid, "png: first chunk is not IHDR");
  }
  return ImageHeader{ImageFormat::kPng, Be32(b, 16), Be32(b, 20)};
}

Result<ImageHeader> Jpeg(std::string_view b) {
  size_t pos = 2;  // after SOI
  while (true) {
    // Fill bytes (0xFF) may precede a marker.
    while (pos < b.size() && static_cast<uint8_t>(b[pos]) == 0xFF) {
      ++pos;
    }
    if (pos >= b.size() || pos < 3 || static_cast<uint8_t>(b[pos - 1]) != 0xFF) {
      return pos >= b.size() ? Truncated("jpeg") : Error(Code::kInvalid, "jpeg: malformed marker");
    }
    const auto marker = static_cast<uint8_t>(b[pos]);
    ++pos;
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      continue;  // markers without a length
    }
    if (marker == 0xD9 || marker == 0xDA) {
      return Error(Code::kInvalid, "jpeg: no frame header before the image data");
    }
    if (pos + 2 > b.size()) {
      return Truncated("jpeg");
    }
    const uint32_t length = Be16(b, pos);
    if (length < 2) {
      return Error(Code::kInvalid, "jpeg: malformed segment length");
    }
    const bool frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      // Length (2), precision (1), height (2), width (2).
      if (pos + 7 > b.size()) {
        return Truncated("jpeg");
      }
      return ImageHeader{ImageFormat::kJpeg, Be16(b, pos + 5), Be16(b, pos + 3)};
    }
    pos += length;
  }
}

Result<ImageHeader> Bmp(std::string_view b) {
  // File header (14), then the DIB header starting with its size.
  if (b.size() < 18) {
    return Truncated("bmp");
  }
  const uint32_t dib = Le32(b, 14);
  if (dib == 12) {
    if (b.size() < 22) {
      return Truncated("bmp");
    }
    return ImageHeader{ImageFormat::kBmp, Le16(b, 18), Le16(b, 20)};
  }
  if (dib < 40) {
    return Error(Code::kInvalid, "bmp: unknown header size {}", dib);
  }
  if (b.size() < 26) {
    return Truncated("bmp");
  }
  const auto width = static_cast<int32_t>(Le32(b, 18));
  const auto height = static_cast<int32_t>(Le32(b, 22));  // negative: top-down
  return ImageHeader{ImageFormat::kBmp, std::llabs(static_cast<int64_t>(width)),
                     std::llabs(static_cast<int64_t>(height))};
}

// Netpbm: "P<n>", then whitespace and '#' comments between width and height.
Result<ImageHeader> Netpbm(std::string_view b) {
  size_t pos = 2;
  int64_t values[2] = {0, 0};
  for (int64_t& value : values) {
    while (true) {
      if (pos >= b.size()) {
        return Truncated("netpbm");
      }
      const auto c = static_cast<unsigned char>(b[pos]);
      if (c == '#') {
        while (pos < b.size() && b[pos] != '\n' && b[pos] != '\r') {
          ++pos;
        }
      } else if (std::isspace(c) != 0) {
        ++pos;
      } else {
        break;
      }
    }
    size_t digits = 0;
    while (pos < b.size() && std::isdigit(static_cast<unsigned char>(b[pos])) != 0) {
      if (++digits > 9) {
        return Error(Code::kInvalid, "netpbm: dimension too large");
      }
      value = value * 10 + (b[pos] - '0');
      ++pos;
    }
    if (digits == 0) {
      return pos >= b.size() ? Truncated("netpbm")
                             : Error(Code::kInvalid, "netpbm: malformed dimensions");
    }
  }
  return ImageHeader{ImageFormat::kNetpbm, values[0], values[1]};
}

}  // namespace

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kBmp:
      return "bmp";
    case ImageFormat::kNetpbm:
      return "netpbm";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

ImageFormat SniffImageFormat(std::string_view bytes) {
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) {
    return ImageFormat::kPng;
  }
  if (bytes.starts_with("\xFF\xD8\xFF")) {
    return ImageFormat::kJpeg;
  }
  if (bytes.starts_with("BM")) {
    return ImageFormat::kBmp;
  }
  if (bytes.size() >= 3 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6' &&
      std::isspace(static_cast<unsigned char>(bytes[2])) != 0) {
    return ImageFormat::kNetpbm;
  }
  return ImageFormat::kUnknown;
}

Result<ImageHeader> ReadImageHeader(std::string_view bytes) {
  Result<ImageHeader> header = Error(Code::kInvalid, "not a PNG, JPEG, BMP or netpbm image");
  switch (SniffImageFormat(bytes)) {
    case ImageFormat::kPng:
      header = Png(bytes);
      break;
    case ImageFormat::kJpeg:
      header = Jpeg(bytes);
      break;
    case ImageFormat::kBmp:
      header = Bmp(bytes);
      break;
    case ImageFormat::kNetpbm:
      header = Netpbm(bytes);
      break;
    case ImageFormat::kUnknown:
      break;
  }
  if (header.ok() && (header->width == 0 || header->height == 0)) {
    return Error(Code::kInvalid, "{}: image has zero width or height",
                 ImageFormatName(header->format));
  }
  return header;
}

}  // namespace conveyor::serving
