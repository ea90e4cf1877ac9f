// Streaming MD5 (OpenSSL EVP) and whole-file MD5 without loading the file.
//
// MD5 is what DVC 3 records for files and directories (`hash: md5`); it is
// used here as a content address, not for security.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace conveyor {

// Incremental MD5. Typical use: Update() any number of times, then
// HexDigest() once; HexDigest() also resets the object for a new message.
//
// Thread safety: an Md5 is a value with private state; use one per thread.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(Md5&& other) noexcept;
  Md5& operator=(Md5&& other) noexcept;
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void Update(std::string_view data);
  // The 16-byte digest of everything passed to Update() since construction
  // or the last Digest()/HexDigest(); the object is then reset.
  std::array<uint8_t, 16> Digest();
  // Digest() as 32 lower-case hex digits.
  std::string HexDigest();

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

// md5 of `data` as 32 lower-case hex digits.
std::string Md5Hex(std::string_view data);

// Lower-case hex of raw bytes ("\x01\xab" -> "01ab").
std::string ToHex(std::string_view bytes);

// The md5 and size of a file's contents.
struct FileDigest {
  std::string md5;  // 32 lower-case hex digits
  uint64_t size = 0;

  bool operator==(const FileDigest&) const = default;
};

// Hashes the file at `path` (symlinks followed) by streaming it through a
// buffer of at most 1 MiB with sequential read-ahead advice; the file is never
// held in memory. Errors (kIo, kInvalid for a non-regular file) name the path.
Result<FileDigest> Md5File(const std::filesystem::path& path);

}  // namespace conveyor
