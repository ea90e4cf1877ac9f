// An exclusive advisory lock on a file (flock), held for the lifetime of the
// object. conveyor takes `.dvc/tmp/lock` before changing a project, the same
// lock DVC takes, so a conveyor and a dvc process never change one project at
// the same time. The kernel drops the lock if the process dies.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "common/status.h"

namespace conveyor {

class FileLock {
 public:
  // Takes the lock without waiting; kFailed naming the path when another
  // process holds it. Creates the file (and its directory) if needed.
  static Result<std::unique_ptr<FileLock>> Acquire(const std::filesystem::path& path);
  // Waits up to `wait` for another holder to let go, then fails as above.
  static Result<std::unique_ptr<FileLock>> Acquire(const std::filesystem::path& path,
                                                   std::chrono::milliseconds wait);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace conveyor
