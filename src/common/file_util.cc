#include "common/file_util.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace conveyor {

namespace fs = std::filesystem;

std::string ErrnoMessage() { return std::strerror(errno); }

bool PathExists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool IsExecutableFile(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR) != 0;
}

Status ReadChunks(int fd, const fs::path& path, std::span<char> buffer,
                  const std::function<void(std::string_view)>& consume) {
  for (;;) {
    size_t got = 0;
    while (got < buffer.size()) {
      ssize_t n = ::read(fd, buffer.data() + got, buffer.size() - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return Error(Code::kIo, "cannot read {}: {}", path.string(), ErrnoMessage());
      if (n == 0)
        break;
      got += static_cast<size_t>(n);
    }
    if (got > 0)
      consume(std::string_view(buffer.data(), got));
    if (got < buffer.size())
      return OkStatus();
  }
}

Result<std::string> ReadFileToString(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error(Code::kIo, "cannot read {}: {}", path.string(), ErrnoMessage());
  std::string data;
  char buffer[1 << 16];
  Status status = ReadChunks(fd, path, buffer, [&](std::string_view chunk) { data += chunk; });
  ::close(fd);
  if (!status.ok())
    return status;
  return data;
}

fs::path TempPathBeside(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  // fmt rather than a chain of string operator+: g++ 12 at -O3 reports a
  // false -Wrestrict on the chain, which -Werror turns into a build failure.
  return path.parent_path() /
         fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), counter.fetch_add(1));
}

bool IsTempName(std::string_view name) {
  // ".<name>.tmp.<pid>.<counter>": both numbers are digits only.
  auto digits = [](std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  };
  size_t last = name.rfind('.');
  if (name.size() < 2 || name.front() != '.' || last == std::string_view::npos ||
      !digits(name.substr(last + 1)))
    return false;
  size_t pid = name.rfind('.', last - 1);
  return pid != std::string_view::npos && pid > 4 && digits(name.substr(pid + 1, last - pid - 1)) &&
         name.substr(pid - 4, 4) == ".tmp";
}

Result<StagedFile> StagedFile::Write(const fs::path& path, std::string_view contents,
                                     fs::perms mode) {
  // Renaming over a device, FIFO or directory would replace it with a file:
  // only regular files (or nothing yet) may be replaced.
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode)) {
    return Error(Code::kInvalid, "cannot write {}: it exists and is not a regular file",
                 path.string());
  }
  fs::path tmp = TempPathBeside(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  static_cast<mode_t>(mode) | S_IWUSR);
  if (fd < 0)
    return Error(Code::kIo, "cannot write {}: {}", path.string(), ErrnoMessage());
  auto fail = [&](const char* what) {
    Status status = Error(Code::kIo, "cannot {} {}: {}", what, path.string(), ErrnoMessage());
    ::close(fd);
    ::unlink(tmp.c_str());
    return status;
  };
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail("write");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return fail("flush");
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0)
    return fail("set the mode of");
  if (::close(fd) != 0) {
    Status status = Error(Code::kIo, "cannot write {}: {}", path.string(), ErrnoMessage());
    ::unlink(tmp.c_str());
    return status;
  }
  return StagedFile(path, std::move(tmp));
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : path_(std::move(other.path_)), tmp_(std::exchange(other.tmp_, fs::path())) {}

StagedFile::~StagedFile() {
  if (!tmp_.empty())
    ::unlink(tmp_.c_str());
}

Status StagedFile::Commit() {
  if (tmp_.empty())
    return Error(Code::kInternal, "{} was already committed", path_.string());
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    return Error(Code::kIo, "cannot replace {}: {}", path_.string(), ErrnoMessage());
  }
  tmp_.clear();
  return OkStatus();
}

Status AtomicWriteFile(const fs::path& path, std::string_view contents, fs::perms mode) {
  ASSIGN_OR_RETURN(StagedFile staged, StagedFile::Write(path, contents, mode));
  return staged.Commit();
}

}  // namespace conveyor
