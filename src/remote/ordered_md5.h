// OrderedMd5: the MD5 of a file written piece by piece at offsets, hashed as
// the pieces arrive, in whatever order they arrive. SFTP's pipelined READs
// are what needs it: OpenSSH answers them in order, but the protocol does not
// promise it, and a short read is completed by a later request. A piece
// beyond the next offset to hash is held until the gap before it is filled,
// so memory is bounded by how far ahead of the gap the writer runs (for
// SFTP, the READs in flight).
//
// Thread safety: a value; one writer at a time.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/md5.h"
#include "common/status.h"

namespace conveyor {

class OrderedMd5 {
 public:
  // Adds the bytes written at `offset`. Pieces must not overlap.
  void Add(uint64_t offset, std::string_view data);

  // The md5 and size of bytes [0, size), once every one of them was added;
  // kInternal (naming `what`) when a gap remains or pieces overlapped. The
  // object is then reset for a new file.
  Result<FileDigest> Finish(std::string_view what);

 private:
  Md5 md5_;
  uint64_t next_ = 0;                     // bytes [0, next_) are hashed
  std::map<uint64_t, std::string> held_;  // pieces beyond a gap, by offset
  bool overlapped_ = false;
};

}  // namespace conveyor
