// What DVC 3 records about a file or directory: its md5 (with ".dir" for a
// directory), size, and for a directory the number of files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace conveyor {

struct HashInfo {
  // 32 lower-case hex digits; a directory's ends in ".dir".
  std::string md5;
  // Bytes; for a directory, the sum over its files.
  uint64_t size = 0;
  // Set for directories only.
  std::optional<uint64_t> nfiles;

  bool IsDir() const;
  bool operator==(const HashInfo&) const = default;
};

// One file of a directory object.
struct TreeEntry {
  std::string relpath;  // '/'-separated, relative to the directory
  std::string md5;
  uint64_t size = 0;
};

// A directory's content as DVC stores it in its ".dir" object.
struct Tree {
  std::vector<TreeEntry> entries;  // sorted by relpath (byte order == code point order)
  std::string json;                // the exact bytes of the .dir object
  HashInfo hash;                   // md5(json) + ".dir", total size, nfiles
};

}  // namespace conveyor
