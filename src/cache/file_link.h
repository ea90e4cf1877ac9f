// Primitive ways to put a file's content at a new path: reflink, hardlink,
// symlink, copy. MakeLink and CopyFileAndHash create `dst`, which must not
// exist; PlaceLink replaces it. None leaves a partial `dst` behind on
// failure.
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

// Puts `src` at `dst` with one link type, replacing any file there in one
// step: a reader, or a crash, sees the old file or the complete new one, never
// a partial one. Copies and reflinks are written into an unnamed file
// (O_TMPFILE) in dst's directory and named only once complete (the inode is
// then allocated outside the directory's lock, so several threads can fill
// one directory at once); when the file system or a missing /proc does not
// allow that, and for hardlinks and symlinks, the link is made under a
// temporary name beside `dst` and renamed over it.
Status PlaceLink(LinkType type, const std::filesystem::path& src, const std::filesystem::path& dst);

// Copies `src` to `dst` (created with `mode`) and returns the md5 of the
// bytes written. Tries a reflink first, then a read/write loop.
Result<std::string> CopyFileAndHash(const std::filesystem::path& src,
                                    const std::filesystem::path& dst, mode_t mode);

}  // namespace conveyor
