#include "cache/hasher.h"

#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cache/parallel_for.h"
#include "cache/tree_hash.h"
#include "cache/walk.h"
#include "common/file_util.h"
#include "common/md5.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;

// Bumped whenever what the directory key covers changes.
constexpr std::string_view kDirKeyTag = "conveyor-dir-key-1";

// Files at least this big are hashed before the others (see HashDir).
constexpr uint64_t kLargeFile = uint64_t{1} << 20;

std::string AbsoluteNormal(const fs::path& path) {
  fs::path abs = fs::absolute(path).lexically_normal();
  std::string s = abs.string();
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

int64_t NowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void AppendU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string DirKey(const std::vector<WalkedFile>& files, bool follow_dir_symlinks) {
  Md5 md5;
  md5.Update(kDirKeyTag);
  md5.Update(follow_dir_symlinks ? "F" : "N");
  std::string buf;
  for (const WalkedFile& file : files) {
    buf.clear();
    AppendU64(buf, file.relpath.size());
    buf += file.relpath;
    AppendU64(buf, file.stat.device);
    AppendU64(buf, file.stat.inode);
    AppendU64(buf, static_cast<uint64_t>(file.stat.mtime_ns));
    AppendU64(buf, file.stat.size);
    md5.Update(buf);
  }
  std::array<uint8_t, 16> digest = md5.Digest();
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

void AppendMd5Bytes(std::string& out, std::string_view hex) {
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>((HexValue(hex[i]) << 4) | HexValue(hex[i + 1]));
  }
}

}  // namespace

Hasher::Hasher(StatCache* stat_cache, IgnoreRules* ignore, HasherOptions options)
    : stat_cache_(stat_cache), ignore_(ignore), options_(options) {
  if (options_.threads <= 0)
    options_.threads = DefaultThreadCount();
}

Result<HashedObject> Hasher::Hash(const fs::path& path, bool want_tree) {
  std::string abs = AbsoluteNormal(path);
  struct stat st {};
  if (::stat(abs.c_str(), &st) != 0) {
    return Error(Code::kNotFound, "cannot hash {}: {}", path.string(), ErrnoMessage());
  }
  if (S_ISDIR(st.st_mode))
    return HashDir(abs, want_tree);
  if (S_ISREG(st.st_mode))
    return HashFile(abs, ToFileStat(st));
  return Error(Code::kInvalid, "cannot hash {}: not a regular file or directory", path.string());
}

Result<HashedObject> Hasher::HashFile(const std::string& path, const FileStat& stat) {
  if (stat_cache_ != nullptr) {
    // The stat cache only saves time, so its failures (a read-only or full
    // disk) count as misses and unsaved records, never as errors.
    Result<std::optional<std::string>> md5 = stat_cache_->LookupFile(path, stat);
    if (md5.ok() && md5->has_value())
      return HashedObject{HashInfo{**md5, stat.size, std::nullopt}, {}};
  }
  int64_t start = NowNs();
  ASSIGN_OR_RETURN(FileDigest digest, Md5File(path));
  if (stat_cache_ != nullptr && digest.size == stat.size &&
      stat.mtime_ns < start - options_.racy_window.count()) {
    FileRecord record{path, stat, digest.md5};
    (void)stat_cache_->PutFiles({&record, 1});  // best effort, see above
  }
  return HashedObject{HashInfo{digest.md5, digest.size, std::nullopt}, {}};
}

Result<HashedObject> Hasher::HashDir(const std::string& path, bool want_tree) {
  int64_t start = NowNs();
  int64_t racy_after = start - options_.racy_window.count();

  IgnoreRules* rules = nullptr;
  std::string dir_rel;
  if (ignore_ != nullptr) {
    std::string root = AbsoluteNormal(ignore_->root());
    if (path == root) {
      rules = ignore_;
    } else if (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
               (path[root.size()] == '/' || root == "/")) {
      rules = ignore_;
      dir_rel = path.substr(root == "/" ? 1 : root.size() + 1);
      RETURN_IF_ERROR(rules->LoadAncestors(dir_rel));
    }
  }
  WalkOptions walk_options;
  walk_options.follow_dir_symlinks = options_.follow_dir_symlinks;
  walk_options.reject_dvcignore = true;
  ASSIGN_OR_RETURN(std::vector<WalkedFile> files, WalkFiles(path, rules, dir_rel, walk_options));

  std::string key;
  if (stat_cache_ != nullptr) {
    key = DirKey(files, options_.follow_dir_symlinks);
    Result<std::optional<DirRecord>> found = stat_cache_->LookupDir(path, key);
    std::optional<DirRecord> hit = found.ok() ? std::move(found).value() : std::nullopt;
    if (hit.has_value() && hit->entry_md5s.size() == 16 * files.size() &&
        hit->hash.nfiles == files.size()) {
      if (!want_tree)
        return HashedObject{hit->hash, {}};
      std::vector<TreeEntry> entries;
      entries.reserve(files.size());
      for (size_t i = 0; i < files.size(); ++i) {
        entries.push_back({std::move(files[i].relpath),
                           ToHex(std::string_view(hit->entry_md5s).substr(16 * i, 16)),
                           files[i].stat.size});
      }
      ASSIGN_OR_RETURN(Tree tree, BuildTree(std::move(entries)));
      if (tree.hash == hit->hash)
        return HashedObject{tree.hash, std::move(tree)};
      // A record that does not reproduce its own hash is ignored; the walk
      // must be redone because `files` was consumed.
      return HashDir(path, want_tree);
    }
  }

  // Known hashes of unchanged files: one range query.
  std::vector<std::string> md5s(files.size());
  std::vector<size_t> todo;
  if (stat_cache_ != nullptr) {
    auto loaded = stat_cache_->LoadFilesUnder(path);
    auto known = loaded.ok() ? std::move(loaded).value() : decltype(loaded)::value_type{};
    for (size_t i = 0; i < files.size(); ++i) {
      auto it = known.find(path + "/" + files[i].relpath);
      if (it != known.end() && it->second.stat == files[i].stat) {
        md5s[i] = std::move(it->second.md5);
      } else {
        todo.push_back(i);
      }
    }
  } else {
    todo.resize(files.size());
    for (size_t i = 0; i < files.size(); ++i)
      todo[i] = i;
  }

  // Large files first, biggest first: hashing one file cannot be split, so a
  // big file that starts last leaves the other threads idle (for 3 x 128 MiB
  // among 1 GiB on 2 threads, up to 11% longer). Smaller files keep their
  // relpath order, which is often close to disk order.
  if (options_.threads > 1) {
    auto large = std::stable_partition(todo.begin(), todo.end(),
                                       [&](size_t i) { return files[i].stat.size >= kLargeFile; });
    std::stable_sort(todo.begin(), large,
                     [&](size_t a, size_t b) { return files[a].stat.size > files[b].stat.size; });
  }

  std::vector<uint8_t> cacheable(files.size(), 1);
  RETURN_IF_ERROR(ParallelFor(todo.size(), options_.threads, [&](size_t k) -> Status {
    size_t i = todo[k];
    ASSIGN_OR_RETURN(FileDigest digest, Md5File(path + "/" + files[i].relpath));
    md5s[i] = std::move(digest.md5);
    // A size that differs from the walk's stat means the file changed under
    // us: use the hash, but do not cache it.
    if (digest.size != files[i].stat.size)
      cacheable[i] = 0;
    return OkStatus();
  }));

  std::vector<TreeEntry> entries;
  entries.reserve(files.size());
  bool dir_cacheable = true;
  std::vector<FileRecord> records;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].stat.mtime_ns >= racy_after)
      cacheable[i] = 0;
    if (cacheable[i] == 0)
      dir_cacheable = false;
    entries.push_back({files[i].relpath, md5s[i], files[i].stat.size});
  }
  if (stat_cache_ != nullptr) {
    for (size_t i : todo) {
      if (cacheable[i] != 0)
        records.push_back({path + "/" + files[i].relpath, files[i].stat, md5s[i]});
    }
    (void)stat_cache_->PutFiles(records);  // best effort
  }
  Result<Tree> tree = BuildTree(std::move(entries));
  if (!tree.ok())
    return tree.status().WithContext(fmt::format("cannot hash {}", path));
  if (stat_cache_ != nullptr && dir_cacheable) {
    DirRecord record{path, key, tree->hash, {}};
    record.entry_md5s.reserve(16 * tree->entries.size());
    for (const TreeEntry& entry : tree->entries)
      AppendMd5Bytes(record.entry_md5s, entry.md5);
    (void)stat_cache_->PutDir(record);  // best effort
  }
  HashInfo hash = tree->hash;
  if (!want_tree)
    return HashedObject{hash, {}};
  return HashedObject{hash, std::move(tree).value()};
}

}  // namespace conveyor
