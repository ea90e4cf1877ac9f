// How a cached object is materialised in the workspace (DVC's `cache.type`).
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor {

enum class LinkType {
  kReflink,   // copy-on-write clone (ioctl FICLONE): private, instant, same filesystem
  kHardlink,  // shares the read-only cache inode
  kSymlink,   // points at the cache file
  kCopy,      // an ordinary private copy
};

// "reflink", "hardlink", "symlink", "copy".
std::string_view LinkTypeName(LinkType type);

// Parses a `cache.type` value such as "reflink,copy" or "hardlink, symlink".
// Errors (kInvalid) name the unknown entry.
Result<std::vector<LinkType>> ParseLinkTypes(std::string_view value);

// DVC's default when `cache.type` is unset: reflink, then copy.
std::vector<LinkType> DefaultLinkTypes();

}  // namespace conveyor
