#include "cache/legacy_hash.h"

#include <fcntl.h>
#include <unistd.h>

#include <optional>
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

Result<std::string> LegacyFileMd5(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error(Code::kIo, "cannot read {}: {}", path.string(), ErrnoMessage());
  std::vector<char> buffer(kChunk);
  Md5 md5;
  std::optional<bool> text;  // decided from the first chunk
  std::string converted;
  Status status = ReadChunks(fd, path, buffer, [&](std::string_view chunk) {
    if (!text)
      text = IsTextBlock(chunk.substr(0, 512));
    if (!*text) {
      md5.Update(chunk);
      return;
    }
    converted.clear();
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (chunk[i] == '\r' && i + 1 < chunk.size() && chunk[i + 1] == '\n')
        continue;
      converted += chunk[i];
    }
    md5.Update(converted);
  });
  ::close(fd);
  if (!status.ok())
    return status;
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
