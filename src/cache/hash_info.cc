#include "cache/hash_info.h"

namespace conveyor {

bool HashInfo::IsDir() const {
  return md5.size() > 4 && md5.compare(md5.size() - 4, 4, ".dir") == 0;
}

}  // namespace conveyor
