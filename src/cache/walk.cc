#include "cache/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <utility>

#include "common/file_util.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;

std::string Join(std::string_view dir, std::string_view name) {
  if (dir.empty())
    return std::string(name);
  std::string out;
  out.reserve(dir.size() + 1 + name.size());
  out += dir;
  out += '/';
  out += name;
  return out;
}

struct Entry {
  std::string name;
  struct stat st;
  bool is_symlink;
};

struct PendingDir {
  std::string relpath;                             // relative to the walked directory
  std::vector<std::pair<dev_t, ino_t>> ancestors;  // for symlink loop detection
};

}  // namespace

FileStat ToFileStat(const struct stat& st) {
  return FileStat{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                  static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                  static_cast<uint64_t>(st.st_size)};
}

Result<std::vector<WalkedFile>> WalkFiles(const fs::path& dir, IgnoreRules* rules,
                                          std::string_view dir_relpath,
                                          const WalkOptions& options) {
  std::vector<WalkedFile> files;
  struct stat top {};
  if (::stat(dir.c_str(), &top) != 0) {
    return Error(Code::kIo, "cannot read directory {}: {}", dir.string(), ErrnoMessage());
  }
  std::vector<PendingDir> stack;
  stack.push_back({"", {{top.st_dev, top.st_ino}}});
  std::vector<Entry> entries;
  std::vector<std::string> subdirs;
  while (!stack.empty()) {
    PendingDir current = std::move(stack.back());
    stack.pop_back();
    fs::path abs = current.relpath.empty() ? dir : dir / current.relpath;
    DIR* d = ::opendir(abs.c_str());
    if (d == nullptr) {
      return Error(Code::kIo, "cannot read directory {}: {}", abs.string(), ErrnoMessage());
    }
    int fd = ::dirfd(d);
    entries.clear();
    subdirs.clear();
    errno = 0;
    while (dirent* de = ::readdir(d)) {
      std::string_view name = de->d_name;
      if (name == "." || name == "..")
        continue;
      Entry entry{std::string(name), {}, de->d_type == DT_LNK};
      if (de->d_type == DT_UNKNOWN) {
        struct stat lst {};
        entry.is_symlink =
            ::fstatat(fd, de->d_name, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode);
      }
      if (::fstatat(fd, de->d_name, &entry.st, 0) != 0) {
        Status status =
            Error(Code::kIo, "cannot stat {}: {}", (abs / entry.name).string(), ErrnoMessage());
        ::closedir(d);
        return status;
      }
      if (S_ISDIR(entry.st.st_mode))
        subdirs.push_back(entry.name);
      entries.push_back(std::move(entry));
      errno = 0;
    }
    int read_errno = errno;
    ::closedir(d);
    if (read_errno != 0) {
      errno = read_errno;
      return Error(Code::kIo, "cannot read directory {}: {}", abs.string(), ErrnoMessage());
    }

    std::string root_rel = Join(dir_relpath, current.relpath);
    if (rules != nullptr)
      RETURN_IF_ERROR(rules->LoadDirectory(root_rel, &subdirs));
    for (Entry& entry : entries) {
      bool is_dir = S_ISDIR(entry.st.st_mode);
      if (rules != nullptr && rules->IsIgnoredEntry(Join(root_rel, entry.name), is_dir))
        continue;
      std::string relpath = Join(current.relpath, entry.name);
      if (is_dir) {
        if (entry.is_symlink && !options.follow_dir_symlinks)
          continue;
        std::pair<dev_t, ino_t> id{entry.st.st_dev, entry.st.st_ino};
        if (std::find(current.ancestors.begin(), current.ancestors.end(), id) !=
            current.ancestors.end()) {
          return Error(Code::kInvalid, "symlink loop at {}", (dir / relpath).string());
        }
        PendingDir next{std::move(relpath), current.ancestors};
        next.ancestors.push_back(id);
        stack.push_back(std::move(next));
      } else if (S_ISREG(entry.st.st_mode)) {
        if (options.reject_dvcignore && entry.name == ".dvcignore") {
          return Error(Code::kInvalid, ".dvcignore file should not be in collected dir path: '{}'",
                       abs.string());
        }
        files.push_back({std::move(relpath), ToFileStat(entry.st)});
      } else {
        return Error(Code::kInvalid, "cannot track {}: not a regular file or directory",
                     (dir / relpath).string());
      }
    }
  }
  std::sort(files.begin(), files.end(),
            [](const WalkedFile& a, const WalkedFile& b) { return a.relpath < b.relpath; });
  return files;
}

}  // namespace conveyor
