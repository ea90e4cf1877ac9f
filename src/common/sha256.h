// SHA-256 over OpenSSL EVP, for whole values held in memory (tokens, cache
// keys). Not for files: those are hashed with MD5 as DVC does (md5.h).
//
// Thread safety: pure functions, callable from any thread (each thread keeps
// its own OpenSSL context, so a call allocates nothing after the first).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace conveyor {

inline constexpr size_t kSha256Size = 32;
using Sha256Digest = std::array<uint8_t, kSha256Size>;

// The 32-byte digest of `data`.
Sha256Digest Sha256(std::string_view data);

// Sha256(data) as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace conveyor
