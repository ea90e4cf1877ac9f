#include "cache/link_type.h"

#include <string>

namespace conveyor {

std::string_view LinkTypeName(LinkType type) {
  switch (type) {
    case LinkType::kReflink:
      return "reflink";
    case LinkType::kHardlink:
      return "hardlink";
    case LinkType::kSymlink:
      return "symlink";
    case LinkType::kCopy:
      return "copy";
  }
  return "unknown";
}

Result<std::vector<LinkType>> ParseLinkTypes(std::string_view value) {
  std::vector<LinkType> types;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos)
      comma = value.size();
    std::string_view item = value.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    bool found = false;
    for (LinkType type :
         {LinkType::kReflink, LinkType::kHardlink, LinkType::kSymlink, LinkType::kCopy}) {
      if (item == LinkTypeName(type)) {
        types.push_back(type);
        found = true;
      }
    }
    if (!found) {
      return Error(Code::kInvalid,
                   "cache.type: unknown link type '{}' (expected reflink, hardlink, symlink or "
                   "copy)",
                   std::string(item));
    }
    start = comma + 1;
  }
  return types;
}

std::vector<LinkType> DefaultLinkTypes() { return {LinkType::kReflink, LinkType::kCopy}; }

}  // namespace conveyor
