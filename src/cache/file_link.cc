#include "cache/file_link.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/file_util.h"
#include "common/md5.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() gives.
  bool Close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

Status Failure(std::string_view what, const fs::path& path) {
  return Error(Code::kIo, "cannot {} {}: {}", what, path.string(), ErrnoMessage());
}

// Streams src into dst_fd, optionally hashing. `buffer` is reused.
Status CopyStream(int src_fd, int dst_fd, const fs::path& src, const fs::path& dst, Md5* md5) {
  std::vector<char> buffer(size_t{1} << 20);
  for (;;) {
    ssize_t n = ::read(src_fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Failure("read", src);
    }
    if (n == 0)
      return OkStatus();
    if (md5 != nullptr)
      md5->Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
    size_t done = 0;
    while (done < static_cast<size_t>(n)) {
      ssize_t w = ::write(dst_fd, buffer.data() + done, static_cast<size_t>(n) - done);
      if (w < 0) {
        if (errno == EINTR)
          continue;
        return Failure("write", dst);
      }
      done += static_cast<size_t>(w);
    }
  }
}

// Copies src_fd into dst_fd inside the kernel (copy_file_range): no trip
// through our buffers, and a server-side copy on NFS. Returns false, having
// written nothing, when the filesystems cannot do it (then stream instead).
Result<bool> CopyInKernel(int src_fd, int dst_fd, const fs::path& dst) {
  bool first = true;
  for (;;) {
    ssize_t n = ::copy_file_range(src_fd, nullptr, dst_fd, nullptr, size_t{1} << 30, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (first && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
        return false;
      return Failure("write", dst);
    }
    if (n == 0)
      return true;
    first = false;
  }
}

// Fills the empty file `out` (to be named `dst`) with the content of `in`
// (read from `src`), by reflink when `reflink_only`, else by reflink or
// copying (in the kernel when nothing is hashed, else streaming). Hashes the
// content into `md5` when given.
Status Fill(Fd& in, Fd& out, const fs::path& src, const fs::path& dst, bool reflink_only,
            Md5* md5) {
  Status status;
  bool cloned = ::ioctl(out.get(), FICLONE, in.get()) == 0;
  if (cloned) {
    if (md5 != nullptr) {
      Fd reread(::open(dst.c_str(), O_RDONLY | O_CLOEXEC));
      if (reread.get() < 0) {
        status = Failure("read", dst);
      } else {
        std::vector<char> buffer(size_t{1} << 20);
        for (;;) {
          ssize_t n = ::read(reread.get(), buffer.data(), buffer.size());
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0) {
            status = Failure("read", dst);
            break;
          }
          if (n == 0)
            break;
          md5->Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
        }
      }
    }
  } else if (reflink_only) {
    status = Failure("reflink to", dst);
  } else {
    (void)::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    Result<bool> copied = false;
    if (md5 == nullptr)
      copied = CopyInKernel(in.get(), out.get(), dst);
    if (!copied.ok())
      status = copied.status();
    else if (!*copied)
      status = CopyStream(in.get(), out.get(), src, dst, md5);
  }
  return status;
}

// Copies src to a new dst (see Fill); removes dst on failure.
Status CopyImpl(const fs::path& src, const fs::path& dst, mode_t mode, bool reflink_only,
                Md5* md5) {
  Fd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0)
    return Failure("read", src);
  Fd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (out.get() < 0)
    return Failure("create", dst);
  Status status = Fill(in, out, src, dst, reflink_only, md5);
  if (status.ok() && !out.Close())
    status = Failure("write", dst);
  if (!status.ok())
    ::unlink(dst.c_str());
  return status;
}

// Renames `from` over `to`; removes `from` when that fails.
Status RenameOver(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) == 0)
    return OkStatus();
  Status status = Failure("create", to);
  ::unlink(from.c_str());
  return status;
}

// Copies (or reflinks) src into an unnamed file in dst's directory
// (O_TMPFILE) and links it in as dst once complete, or, when dst exists,
// under a temporary name renamed over it. Returns false, with nothing left
// behind, when the file system (or a missing /proc) does not allow it.
Result<bool> CopyUnnamed(const fs::path& src, const fs::path& dst, bool reflink_only) {
  Fd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0)
    return Failure("read", src);
  fs::path dir = dst.has_parent_path() ? dst.parent_path() : fs::path(".");
  Fd out(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666));
  if (out.get() < 0) {
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
      return false;
    return Failure("create", dst);
  }
  RETURN_IF_ERROR(Fill(in, out, src, dst, reflink_only, nullptr));
  std::string self = fmt::format("/proc/self/fd/{}", out.get());
  fs::path name = dst;
  int linked = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW);
  if (linked != 0 && errno == EEXIST) {
    name = TempPathBeside(dst);
    linked = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW);
  }
  if (linked != 0)
    return errno == ENOENT ? Result<bool>(false) : Failure("create", dst);
  if (!out.Close()) {
    Status status = Failure("write", dst);
    ::unlink(name.c_str());
    return status;
  }
  if (name != dst)
    RETURN_IF_ERROR(RenameOver(name, dst));
  return true;
}

}  // namespace

Status PlaceLink(LinkType type, const fs::path& src, const fs::path& dst) {
  if (type == LinkType::kCopy || type == LinkType::kReflink) {
    ASSIGN_OR_RETURN(bool placed, CopyUnnamed(src, dst, type == LinkType::kReflink));
    if (placed)
      return OkStatus();
  }
  fs::path tmp = TempPathBeside(dst);
  RETURN_IF_ERROR(MakeLink(type, src, tmp));
  return RenameOver(tmp, dst);
}

Status MakeLink(LinkType type, const fs::path& src, const fs::path& dst) {
  switch (type) {
    case LinkType::kReflink:
      return CopyImpl(src, dst, 0666, /*reflink_only=*/true, nullptr);
    case LinkType::kCopy:
      return CopyImpl(src, dst, 0666, /*reflink_only=*/false, nullptr);
    case LinkType::kHardlink: {
      struct stat st {};
      if (::stat(src.c_str(), &st) != 0)
        return Failure("read", src);
      if (st.st_size == 0) {
        Fd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
        if (out.get() < 0)
          return Failure("create", dst);
        return OkStatus();
      }
      if (::link(src.c_str(), dst.c_str()) != 0)
        return Failure("hardlink to", dst);
      return OkStatus();
    }
    case LinkType::kSymlink: {
      fs::path target = fs::absolute(src).lexically_normal();
      if (::symlink(target.c_str(), dst.c_str()) != 0)
        return Failure("symlink to", dst);
      return OkStatus();
    }
  }
  return Error(Code::kInternal, "unknown link type");
}

Result<std::string> CopyFileAndHash(const fs::path& src, const fs::path& dst, mode_t mode) {
  Md5 md5;
  RETURN_IF_ERROR(CopyImpl(src, dst, mode, /*reflink_only=*/false, &md5));
  return md5.HexDigest();
}

}  // namespace conveyor
