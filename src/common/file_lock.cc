#include "common/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "common/file_util.h"

namespace conveyor {

Result<std::unique_ptr<FileLock>> FileLock::Acquire(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return Error(Code::kIo, "cannot open lock {}: {}", path.string(), ErrnoMessage());
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR)
      continue;
    bool busy = errno == EWOULDBLOCK;
    Status status = busy ? Error(Code::kFailed,
                                 "another conveyor or dvc process is working in this project "
                                 "(it holds {}); wait for it to finish",
                                 path.string())
                         : Error(Code::kIo, "cannot lock {}: {}", path.string(), ErrnoMessage());
    ::close(fd);
    return status;
  }
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

Result<std::unique_ptr<FileLock>> FileLock::Acquire(const std::filesystem::path& path,
                                                    std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    Result<std::unique_ptr<FileLock>> lock = Acquire(path);
    if (lock.ok() || lock.status().code() != Code::kFailed ||
        std::chrono::steady_clock::now() >= deadline) {
      return lock;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

FileLock::~FileLock() { ::close(fd_); }

}  // namespace conveyor
