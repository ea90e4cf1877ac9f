// Primitive ways to put a file's content at a new path: reflink, hardlink,
// symlink, copy. Each creates `dst`, which must not exist, and never leaves
// a partial `dst` behind on failure.
//
// Thread safety: free functions; safe for distinct destinations.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "cache/link_type.h"
#include "common/status.h"

namespace conveyor {

// Materialises `src` at `dst` with one link type. A hardlink of an empty
// file makes a new empty file instead (as DVC does, to stay clear of
// per-inode link limits). Copies and reflinks get mode 0666 minus umask.
Status MakeLink(LinkType type, const std::filesystem::path& src, const std::filesystem::path& dst);

// Copies `src` to `dst` (created with `mode`) and returns the md5 of the
// bytes written. Tries a reflink first, then a read/write loop.
Result<std::string> CopyFileAndHash(const std::filesystem::path& src,
                                    const std::filesystem::path& dst, mode_t mode);

}  // namespace conveyor
