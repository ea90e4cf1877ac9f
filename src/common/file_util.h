// Whole-file reads and crash-safe writes.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace conveyor {

// Reads `fd` (open on `path`, which errors name) to its end through `buffer`,
// passing each chunk to `consume`. Every chunk but the last fills the buffer.
// Does not close `fd`.
Status ReadChunks(int fd, const std::filesystem::path& path, std::span<char> buffer,
                  const std::function<void(std::string_view)>& consume);

// Reads the whole file. Errors name the path and the OS reason.
Result<std::string> ReadFileToString(const std::filesystem::path& path);

// rw-r--r--, as a file created under the usual umask.
inline constexpr std::filesystem::perms kDefaultFileMode =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
    std::filesystem::perms::group_read | std::filesystem::perms::others_read;

// Writes `contents` to a temporary file beside `path`, flushes it to disk, then
// renames it over `path`, so readers see the old file or the new one, never a
// half-written one, even after SIGKILL or power loss. `mode` is applied to the
// new file before the rename. Refuses a `path` that exists and is not a
// regular file (a device such as /dev/null, a FIFO, a directory).
Status AtomicWriteFile(const std::filesystem::path& path, std::string_view contents,
                       std::filesystem::perms mode = kDefaultFileMode);

// A file written in full to a temporary name beside its destination, and put
// in place only by Commit(). Staging several files before committing any
// makes a set of writes all-or-nothing against write failures (a full disk
// leaves every destination as it was); a crash between two commits can still
// leave one new file beside an old one. An uncommitted stage is removed when
// the object is destroyed.
class StagedFile {
 public:
  // Writes and flushes `contents`; refuses a `path` that exists and is not a
  // regular file (see AtomicWriteFile).
  static Result<StagedFile> Write(const std::filesystem::path& path, std::string_view contents,
                                  std::filesystem::perms mode = kDefaultFileMode);
  StagedFile(StagedFile&& other) noexcept;
  StagedFile& operator=(StagedFile&&) = delete;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  ~StagedFile();

  // Renames the staged file over the destination.
  Status Commit();

 private:
  StagedFile(std::filesystem::path path, std::filesystem::path tmp)
      : path_(std::move(path)), tmp_(std::move(tmp)) {}
  std::filesystem::path path_;
  std::filesystem::path tmp_;  // empty once committed or moved from
};

// A unique temporary name in the same directory as `path` (so a rename from it
// is atomic): "<dir>/.<name>.tmp.<pid>.<counter>".
std::filesystem::path TempPathBeside(const std::filesystem::path& path);
// Whether the file name `name` has that form: a write that never finished
// (its process was killed) leaves such a file behind.
bool IsTempName(std::string_view name);

// True when `path` exists (after following links); errors count as absent.
bool PathExists(const std::filesystem::path& path);

// True for a regular file (after following links) with its owner's execute
// bit set — what DVC records as `isexec: true`.
bool IsExecutableFile(const std::filesystem::path& path);

// "strerror(errno)" for the current errno, for error messages.
std::string ErrnoMessage();

}  // namespace conveyor
