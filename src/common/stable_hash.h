// A 64-bit hash of text that is the same on every build and run (std::hash
// is not), for decisions that must repeat: which requests the prediction log
// samples, which labelled examples an export holds out.
//
// FNV-1a, then MurmurHash3's 64-bit finaliser, so that texts differing only
// in their last characters ("r1", "r2") spread over the high bits too.
//
// Thread safety: a pure function.
#pragma once

#include <cstdint>
#include <string_view>

namespace conveyor {

inline uint64_t StableHash(std::string_view text) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ULL;
  hash ^= hash >> 33;
  return hash;
}

// Whether `text` falls in the first `share` (0..1) of the hash space.
inline bool StableHashBelow(std::string_view text, double share) {
  if (share >= 1.0)
    return true;
  if (share <= 0.0)
    return false;
  return StableHash(text) < static_cast<uint64_t>(share * 18446744073709551616.0);
}

}  // namespace conveyor
