#include "cache/legacy_hash.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "cache/tree_hash.h"
#include "cache/walk.h"
#include "common/file_util.h"
#include "common/md5.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

constexpr size_t kChunk = 1 << 20;  // DVC 2's LOCAL_CHUNK_SIZE

bool IsTextByte(unsigned char c) {
  return (c >= 32 && c < 127) || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\b';
}

// Reads up to `size` bytes (fewer only at end of file).
Result<size_t> ReadFull(int fd, char* buffer, size_t size, const fs::path& path) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, buffer + got, size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error(Code::kIo, "cannot read {}: {}", path.string(), ErrnoMessage());
    if (n == 0)
      break;
    got += static_cast<size_t>(n);
  }
  return got;
}

Result<std::string> LegacyFileMd5(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error(Code::kIo, "cannot read {}: {}", path.string(), ErrnoMessage());
  std::vector<char> buffer(kChunk);
  Md5 md5;
  bool text = true;
  bool first = true;
  std::string converted;
  for (;;) {
    auto got = ReadFull(fd, buffer.data(), buffer.size(), path);
    if (!got.ok()) {
      ::close(fd);
      return got.status();
    }
    std::string_view chunk(buffer.data(), *got);
    if (first) {
      text = IsTextBlock(chunk.substr(0, 512));
      first = false;
    }
    if (chunk.empty())
      break;
    if (!text) {
      md5.Update(chunk);
      continue;
    }
    converted.clear();
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (chunk[i] == '\r' && i + 1 < chunk.size() && chunk[i + 1] == '\n')
        continue;
      converted += chunk[i];
    }
    md5.Update(converted);
  }
  ::close(fd);
  return md5.HexDigest();
}

}  // namespace

bool IsTextBlock(std::string_view block) {
  if (block.empty())
    return true;
  size_t nontext = 0;
  for (char c : block) {
    if (c == '\0')
      return false;
    if (!IsTextByte(static_cast<unsigned char>(c)))
      ++nontext;
  }
  return static_cast<double>(nontext) / static_cast<double>(block.size()) <= 0.30;
}

Result<std::string> LegacyMd5(const fs::path& path, IgnoreRules* rules, std::string_view relpath) {
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    return LegacyFileMd5(path);
  ASSIGN_OR_RETURN(std::vector<WalkedFile> files, WalkFiles(path, rules, relpath));
  std::vector<TreeEntry> entries;
  for (const WalkedFile& file : files) {
    ASSIGN_OR_RETURN(std::string md5, LegacyFileMd5(path / file.relpath));
    entries.push_back({file.relpath, md5, file.stat.size});
  }
  ASSIGN_OR_RETURN(Tree tree, BuildTree(std::move(entries)));
  return tree.hash.md5;
}

}  // namespace conveyor
