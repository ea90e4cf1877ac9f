#include "cache/object_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cache/file_link.h"
#include "cache/parallel_for.h"
#include "cache/tree_hash.h"
#include "cache/walk.h"
#include "common/file_util.h"
#include "common/md5.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kObjectMode = 0444;

bool IsRegularFile(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Removes whatever is at `path` (file, symlink or directory tree).
Status RemoveAll(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec)
    return Error(Code::kIo, "cannot remove {}: {}", path.string(), ec.message());
  return OkStatus();
}

// Files of one directory checked out at once: the work per file is mostly
// system calls (allocating the inode, copying, linking it in) and waiting on
// the disk, so a few more threads than cores keep both busy.
int CheckoutThreads() { return 2 * DefaultThreadCount(); }

// Strict ancestors of `relpath` inside the tree, deepest first.
void RemoveEmptyParents(const fs::path& root, std::string_view relpath) {
  size_t slash = relpath.rfind('/');
  while (slash != std::string_view::npos) {
    relpath = relpath.substr(0, slash);
    if (::rmdir((root / relpath).c_str()) != 0)
      return;  // not empty: stop
    slash = relpath.rfind('/');
  }
}

}  // namespace

ObjectStore::ObjectStore(fs::path cache_dir) : cache_dir_(std::move(cache_dir)) {}

fs::path ObjectStore::ObjectPath(std::string_view md5) const {
  return cache_dir_ / "files" / "md5" / md5.substr(0, 2) / md5.substr(2);
}

fs::path ObjectStore::LegacyObjectPath(std::string_view md5) const {
  return cache_dir_ / md5.substr(0, 2) / md5.substr(2);
}

std::optional<fs::path> ObjectStore::Find(std::string_view md5) const {
  if (md5.size() < 3)
    return std::nullopt;
  fs::path current = ObjectPath(md5);
  if (IsRegularFile(current))
    return current;
  fs::path legacy = LegacyObjectPath(md5);
  if (IsRegularFile(legacy))
    return legacy;
  return std::nullopt;
}

bool ObjectStore::Contains(const HashInfo& hash) const {
  if (!hash.IsDir())
    return Find(hash.md5).has_value();
  Result<Tree> tree = LoadTree(hash.md5);
  if (!tree.ok())
    return false;
  for (const TreeEntry& entry : tree->entries) {
    if (!Find(entry.md5).has_value())
      return false;
  }
  return true;
}

Result<Tree> ObjectStore::LoadTree(std::string_view md5) const {
  std::optional<fs::path> path = Find(md5);
  if (!path.has_value()) {
    return Error(Code::kNotFound, "directory object {} is not in the cache {}", md5,
                 cache_dir_.string());
  }
  ASSIGN_OR_RETURN(std::string json, ReadFileToString(*path));
  Result<Tree> tree = ParseTree(json);
  if (!tree.ok())
    return tree.status().WithContext(path->string());
  if (tree->hash.md5 != md5) {
    return Error(Code::kInvalid, "{}: corrupted directory object: its content hashes to {}",
                 path->string(), tree->hash.md5);
  }
  return tree;
}

Status ObjectStore::SaveFile(const fs::path& source, std::string_view md5, uint64_t size) const {
  fs::path object = ObjectPath(md5);
  struct stat st {};
  if (::stat(object.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    if ((st.st_mode & 07777) == kObjectMode && static_cast<uint64_t>(st.st_size) == size) {
      return OkStatus();  // complete and protected: trusted
    }
    Result<FileDigest> existing = Md5File(object);
    if (existing.ok() && existing->md5 == md5) {
      if (::chmod(object.c_str(), kObjectMode) != 0) {
        return Error(Code::kIo, "cannot protect {}: {}", object.string(), ErrnoMessage());
      }
      return OkStatus();
    }
    // Corrupt or unreadable: replaced below by the rename.
  }
  std::error_code ec;
  fs::create_directories(object.parent_path(), ec);
  if (ec) {
    return Error(Code::kIo, "cannot create {}: {}", object.parent_path().string(), ec.message());
  }
  fs::path tmp = TempPathBeside(object);
  Result<std::string> copied = CopyFileAndHash(source, tmp, kObjectMode);
  if (!copied.ok())
    return copied.status();
  if (*copied != md5) {
    ::unlink(tmp.c_str());
    return Error(Code::kFailed,
                 "cannot save {}: it changed while being saved (expected md5 {}, read {})",
                 source.string(), md5, *copied);
  }
  if (::chmod(tmp.c_str(), kObjectMode) != 0 || ::rename(tmp.c_str(), object.c_str()) != 0) {
    Status status = Error(Code::kIo, "cannot store {}: {}", object.string(), ErrnoMessage());
    ::unlink(tmp.c_str());
    return status;
  }
  return OkStatus();
}

Status ObjectStore::Save(const fs::path& workspace_path, const HashInfo& hash, const Tree* tree) {
  if (!hash.IsDir()) {
    return SaveFile(workspace_path, hash.md5, hash.size)
        .WithContext(fmt::format("saving {}", workspace_path.string()));
  }
  if (tree == nullptr || tree->hash.md5 != hash.md5) {
    return Error(Code::kInternal, "saving {}: the directory's tree for {} was not given",
                 workspace_path.string(), hash.md5);
  }
  RETURN_IF_ERROR(ParallelFor(tree->entries.size(), DefaultThreadCount(), [&](size_t i) {
    const TreeEntry& entry = tree->entries[i];
    return SaveFile(workspace_path / entry.relpath, entry.md5, entry.size);
  }));
  fs::path object = ObjectPath(hash.md5);
  struct stat st {};
  if (::stat(object.c_str(), &st) == 0 && (st.st_mode & 07777) == kObjectMode &&
      static_cast<uint64_t>(st.st_size) == tree->json.size()) {
    return OkStatus();
  }
  std::error_code ec;
  fs::create_directories(object.parent_path(), ec);
  if (ec) {
    return Error(Code::kIo, "cannot create {}: {}", object.parent_path().string(), ec.message());
  }
  return AtomicWriteFile(object, tree->json, static_cast<fs::perms>(kObjectMode));
}

Status ObjectStore::CheckoutFile(const fs::path& object, const fs::path& target,
                                 std::span<const LinkType> link_types,
                                 std::atomic<size_t>& first_type) const {
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0) {
    struct stat obj {};
    if (::stat(object.c_str(), &obj) == 0) {
      if (S_ISREG(st.st_mode) && st.st_dev == obj.st_dev && st.st_ino == obj.st_ino) {
        return OkStatus();  // already a hardlink to the object
      }
      if (S_ISLNK(st.st_mode)) {
        std::error_code ec;
        if (fs::read_symlink(target, ec) == fs::absolute(object).lexically_normal()) {
          return OkStatus();
        }
      }
    }
    if (S_ISDIR(st.st_mode))
      RETURN_IF_ERROR(RemoveAll(target));
  }
  std::string reasons;
  for (size_t i = first_type.load(); i < link_types.size(); ++i) {
    Status made = PlaceLink(link_types[i], object, target);
    if (!made.ok()) {
      if (!reasons.empty())
        reasons += "; ";
      reasons += fmt::format("{}: {}", LinkTypeName(link_types[i]), made.message());
      continue;
    }
    // Later files skip the types that failed (other threads may have
    // skipped further already).
    size_t seen = first_type.load();
    while (seen < i && !first_type.compare_exchange_weak(seen, i)) {
    }
    return OkStatus();
  }
  return Error(Code::kIo, "cannot check out {}: no link type worked ({})", target.string(),
               reasons.empty() ? "none configured" : reasons);
}

Status ObjectStore::Checkout(const fs::path& workspace_path, const HashInfo& hash,
                             std::span<const LinkType> link_types, IgnoreRules* ignore) {
  std::atomic<size_t> first_type{0};
  if (!hash.IsDir()) {
    std::optional<fs::path> object = Find(hash.md5);
    if (!object.has_value()) {
      return Error(Code::kNotFound, "cannot check out {}: object {} is not in the cache {}",
                   workspace_path.string(), hash.md5, cache_dir_.string());
    }
    if (workspace_path.has_parent_path()) {
      std::error_code ec;
      fs::create_directories(workspace_path.parent_path(), ec);
    }
    return CheckoutFile(*object, workspace_path, link_types, first_type);
  }

  Result<Tree> tree = LoadTree(hash.md5);
  if (!tree.ok()) {
    return tree.status().WithContext(fmt::format("cannot check out {}", workspace_path.string()));
  }
  struct stat st {};
  if (::lstat(workspace_path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    RETURN_IF_ERROR(RemoveAll(workspace_path));
  }
  std::error_code ec;
  fs::create_directories(workspace_path, ec);
  if (ec)
    return Error(Code::kIo, "cannot create {}: {}", workspace_path.string(), ec.message());

  // Directories first, once each; then the files, several at a time (each
  // placed whole by PlaceLink, so the guarantees are per file).
  std::unordered_set<std::string_view> wanted;
  std::unordered_set<std::string> made;
  for (const TreeEntry& entry : tree->entries) {
    wanted.insert(entry.relpath);
    fs::path parent = (workspace_path / entry.relpath).parent_path();
    if (!made.insert(parent.string()).second)
      continue;
    fs::create_directories(parent, ec);
    if (ec)
      return Error(Code::kIo, "cannot create {}: {}", parent.string(), ec.message());
  }
  RETURN_IF_ERROR(ParallelFor(tree->entries.size(), CheckoutThreads(), [&](size_t i) {
    const TreeEntry& entry = tree->entries[i];
    std::optional<fs::path> object = Find(entry.md5);
    if (!object.has_value()) {
      return Error(Code::kNotFound, "cannot check out {}: object {} ({}) is not in the cache {}",
                   workspace_path.string(), entry.md5, entry.relpath, cache_dir_.string());
    }
    return CheckoutFile(*object, workspace_path / entry.relpath, link_types, first_type);
  }));

  // Remove files that are not in the tree (ignored files stay).
  IgnoreRules* rules = nullptr;
  std::string dir_rel;
  if (ignore != nullptr) {
    fs::path rel = fs::absolute(workspace_path)
                       .lexically_normal()
                       .lexically_relative(fs::absolute(ignore->root()).lexically_normal());
    std::string rel_text = rel.string();
    if (!rel.empty() && rel_text.rfind("..", 0) != 0) {
      rules = ignore;
      dir_rel = rel_text == "." ? "" : rel_text;
      while (!dir_rel.empty() && dir_rel.back() == '/')
        dir_rel.pop_back();
      RETURN_IF_ERROR(rules->LoadAncestors(dir_rel));
    }
  }
  ASSIGN_OR_RETURN(std::vector<WalkedFile> present, WalkFiles(workspace_path, rules, dir_rel));
  for (const WalkedFile& file : present) {
    if (wanted.contains(file.relpath))
      continue;
    fs::path stale = workspace_path / file.relpath;
    if (::unlink(stale.c_str()) != 0) {
      return Error(Code::kIo, "cannot remove {}: {}", stale.string(), ErrnoMessage());
    }
    RemoveEmptyParents(workspace_path, file.relpath);
  }
  return OkStatus();
}

Status ObjectStore::Unprotect(const fs::path& path) const {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return Error(Code::kNotFound, "cannot unprotect {}: {}", path.string(), ErrnoMessage());
  }
  std::vector<fs::path> files;
  if (S_ISDIR(st.st_mode)) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_directory(ec) || it->is_symlink(ec))
        files.push_back(it->path());
    }
    if (ec)
      return Error(Code::kIo, "cannot unprotect {}: {}", path.string(), ec.message());
  } else {
    files.push_back(path);
  }
  for (const fs::path& file : files) {
    struct stat fst {};
    if (::lstat(file.c_str(), &fst) != 0) {
      return Error(Code::kIo, "cannot unprotect {}: {}", file.string(), ErrnoMessage());
    }
    if (S_ISLNK(fst.st_mode) || fst.st_nlink > 1) {
      // Copy under a temporary name, then rename over the link, so a reader
      // never sees a partial file.
      fs::path tmp = TempPathBeside(file);
      RETURN_IF_ERROR(MakeLink(LinkType::kCopy, file, tmp)
                          .WithContext(fmt::format("cannot unprotect {}", file.string())));
      if (::rename(tmp.c_str(), file.c_str()) != 0) {
        Status status = Error(Code::kIo, "cannot unprotect {}: {}", file.string(), ErrnoMessage());
        ::unlink(tmp.c_str());
        return status;
      }
      if (::lstat(file.c_str(), &fst) != 0) {
        return Error(Code::kIo, "cannot unprotect {}: {}", file.string(), ErrnoMessage());
      }
    }
    if (S_ISREG(fst.st_mode) && (fst.st_mode & S_IWUSR) == 0 &&
        ::chmod(file.c_str(), (fst.st_mode & 07777) | S_IWUSR) != 0) {
      return Error(Code::kIo, "cannot make {} writable: {}", file.string(), ErrnoMessage());
    }
  }
  return OkStatus();
}

}  // namespace conveyor
