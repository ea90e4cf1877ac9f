// OrderedMd5 (ordered_md5.h): hashes contiguous bytes at once, holds the rest.
// Thread safety: see the header.
#include "remote/ordered_md5.h"

namespace conveyor {

void OrderedMd5::Add(uint64_t offset, std::string_view data) {
  if (data.empty())
    return;
  if (offset < next_ || held_.count(offset) != 0) {
    overlapped_ = true;
    return;
  }
  if (offset > next_) {
    held_.emplace(offset, std::string(data));
    return;
  }
  md5_.Update(data);
  next_ += data.size();
  // The gap before held pieces may now be closed.
  for (auto it = held_.begin(); it != held_.end() && it->first <= next_;) {
    if (it->first < next_) {
      overlapped_ = true;
      return;
    }
    md5_.Update(it->second);
    next_ += it->second.size();
    it = held_.erase(it);
  }
}

Result<FileDigest> OrderedMd5::Finish(std::string_view what) {
  Status status;
  if (overlapped_) {
    status = Error(Code::kInternal, "{}: pieces written at overlapping offsets", what);
  } else if (!held_.empty()) {
    status = Error(Code::kInternal, "{}: bytes {} to {} were never written", what, next_,
                   held_.begin()->first);
  }
  FileDigest digest{md5_.HexDigest(), next_};
  next_ = 0;
  held_.clear();
  overlapped_ = false;
  if (!status.ok())
    return status;
  return digest;
}

}  // namespace conveyor
