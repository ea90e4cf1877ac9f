// LocalStorage (local_storage.h): chunked copies; uploads through a temporary
// name and a rename, downloads hashed on the way.
// Thread safety: see the header; no shared mutable state.
#include "remote/local_storage.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <system_error>
#include <vector>

#include "common/file_util.h"
#include "common/md5.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

constexpr size_t kChunk = size_t{1} << 20;

// Copies `source` to `dest` (created, or truncated) in chunks, reporting the
// bytes copied so far to `progress` after each and hashing them into `md5`
// when given; returns the bytes copied. `dest` is removed on any failure. Errors name `what` and
// the path that failed: a full disk is "cannot write <dest>: No space left on device" (kIo).
Result<uint64_t> CopyInChunks(const fs::path& source, const fs::path& dest, std::string_view what,
                              const ByteProgress& progress, Md5* md5) {
  int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    Code code = errno == ENOENT ? Code::kNotFound : Code::kIo;
    return Error(code, "{}: cannot read {}: {}", what, source.string(), ErrnoMessage());
  }
  int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (out < 0) {
    Status status =
        Error(Code::kIo, "{}: cannot write {}: {}", what, dest.string(), ErrnoMessage());
    ::close(in);
    return status;
  }
  auto fail = [&](std::string_view verb, const fs::path& path) {
    Status status =
        Error(Code::kIo, "{}: cannot {} {}: {}", what, verb, path.string(), ErrnoMessage());
    ::close(in);
    ::close(out);
    ::unlink(dest.c_str());
    return status;
  };
  (void)::posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<char> buffer(kChunk);
  uint64_t copied = 0;
  for (;;) {
    ssize_t got = ::read(in, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return fail("read", source);
    if (got == 0)
      break;
    if (md5 != nullptr)
      md5->Update(std::string_view(buffer.data(), static_cast<size_t>(got)));
    for (ssize_t done = 0; done < got;) {
      ssize_t put = ::write(out, buffer.data() + done, static_cast<size_t>(got - done));
      if (put < 0 && errno == EINTR)
        continue;
      if (put < 0)
        return fail("write", dest);
      done += put;
    }
    copied += static_cast<uint64_t>(got);
    if (progress)
      progress(copied);
  }
  ::close(in);
  if (::close(out) != 0) {
    Status status =
        Error(Code::kIo, "{}: cannot write {}: {}", what, dest.string(), ErrnoMessage());
    ::unlink(dest.c_str());
    return status;
  }
  return copied;
}

}  // namespace

LocalStorage::LocalStorage(fs::path root, std::string display)
    : root_(std::move(root)), display_(display.empty() ? root_.string() : std::move(display)) {}

Status LocalStorage::CheckRoot() const {
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) {
    return Error(Code::kNotFound, "remote folder {} does not exist", root_.string());
  }
  return OkStatus();
}

Result<std::vector<RemoteObject>> LocalStorage::List(std::string_view prefix) {
  std::vector<RemoteObject> objects;
  // Walk from the deepest directory the prefix names completely.
  std::string_view dir =
      prefix.substr(0, prefix.rfind('/') == std::string_view::npos ? 0 : prefix.rfind('/') + 1);
  fs::path start = root_ / fs::path(std::string(dir));
  std::error_code ec;
  if (!fs::is_directory(start, ec))
    return objects;
  fs::recursive_directory_iterator it(start, ec), end;
  if (ec)
    return Error(Code::kIo, "{}: cannot list {}: {}", display_, start.string(), ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec)
      return Error(Code::kIo, "{}: cannot list {}: {}", display_, start.string(), ec.message());
    if (!it->is_regular_file(ec))
      continue;
    std::string name = it->path().filename().string();
    if (!name.empty() && name.front() == '.')
      continue;  // a transfer in progress
    std::string key = it->path().lexically_relative(root_).generic_string();
    if (key.compare(0, prefix.size(), prefix) != 0)
      continue;
    uintmax_t size = it->file_size(ec);
    objects.push_back({std::move(key), ec ? 0 : static_cast<uint64_t>(size)});
  }
  return objects;
}

Result<bool> LocalStorage::Exists(std::string_view key) {
  RETURN_IF_ERROR(CheckRoot());
  std::error_code ec;
  return fs::is_regular_file(root_ / fs::path(std::string(key)), ec);
}

Result<FileDigest> LocalStorage::Download(std::string_view key, const fs::path& dest,
                                          const ByteProgress& progress) {
  RETURN_IF_ERROR(CheckRoot());
  fs::path source = root_ / fs::path(std::string(key));
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) {
    return Error(Code::kNotFound, "{}: no object {}", display_, key);
  }
  Md5 md5;
  ASSIGN_OR_RETURN(uint64_t size,
                   CopyInChunks(source, dest, fmt::format("{}/{}", display_, key), progress, &md5));
  return FileDigest{md5.HexDigest(), size};
}

Status LocalStorage::Upload(const fs::path& source, std::string_view key,
                            const ByteProgress& progress) {
  fs::path dest = root_ / fs::path(std::string(key));
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) {
    return Error(Code::kIo, "{}: cannot create {}: {}", display_, dest.parent_path().string(),
                 ec.message());
  }
  // Through a temporary name, so no reader of the remote sees a partial
  // object.
  std::string what = fmt::format("{}/{}", display_, key);
  fs::path tmp = TempPathBeside(dest);
  RETURN_IF_ERROR(CopyInChunks(source, tmp, what, progress, nullptr).status());
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    Status status =
        Error(Code::kIo, "{}: cannot rename into {}: {}", what, dest.string(), ErrnoMessage());
    ::unlink(tmp.c_str());
    return status;
  }
  return OkStatus();
}

}  // namespace conveyor
