// The transfer engine (transfer.h): missing-object computation, parallel
// upload/download with per-object failures collected, md5 check on fetch.
// Thread safety: see the header; a Batch guards its counters with a mutex.
#include "remote/transfer.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "cache/parallel_for.h"
#include "common/file_util.h"
#include "common/md5.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kObjectsPrefix = "files/md5/";
// Below this many objects, one listing per two-digit prefix beats listing
// the whole remote.
constexpr size_t kPerPrefixListingLimit = 64;

bool IsDir(std::string_view md5) { return md5.size() > 4 && md5.substr(md5.size() - 4) == ".dir"; }

// The md5 an object's bytes must hash to ("ab…" for "ab….dir" too).
std::string_view ContentMd5(std::string_view md5) {
  return IsDir(md5) ? md5.substr(0, md5.size() - 4) : md5;
}

int Jobs(const TransferOptions& options) {
  return options.jobs > 0 ? options.jobs : DefaultTransferJobs();
}

// "files/md5/ab/cdef…" -> "abcdef…"; empty for keys outside the layout.
std::string Md5FromKey(std::string_view key) {
  if (key.substr(0, kObjectsPrefix.size()) != kObjectsPrefix)
    return "";
  key.remove_prefix(kObjectsPrefix.size());
  if (key.size() < 4 || key[2] != '/')
    return "";
  return std::string(key.substr(0, 2)) + std::string(key.substr(3));
}

// Which of `md5s` the remote holds, with their sizes (0 when the backend
// cannot tell).
Result<std::map<std::string, uint64_t>> RemotePresence(RemoteStorage& remote,
                                                       const std::vector<std::string>& md5s,
                                                       int jobs) {
  std::map<std::string, uint64_t> present;
  if (md5s.empty())
    return present;
  std::set<std::string> wanted(md5s.begin(), md5s.end());
  if (remote.CanList()) {
    std::vector<std::string> prefixes;
    if (md5s.size() < kPerPrefixListingLimit) {
      std::set<std::string> two;
      for (const std::string& md5 : md5s)
        two.insert(std::string(kObjectsPrefix) + md5.substr(0, 2) + "/");
      prefixes.assign(two.begin(), two.end());
    } else {
      prefixes.push_back(std::string(kObjectsPrefix));
    }
    std::mutex mu;
    RETURN_IF_ERROR(ParallelFor(prefixes.size(), jobs, [&](size_t i) -> Status {
      ASSIGN_OR_RETURN(std::vector<RemoteObject> listed, remote.List(prefixes[i]));
      std::lock_guard<std::mutex> lock(mu);
      for (const RemoteObject& object : listed) {
        std::string md5 = Md5FromKey(object.key);
        if (wanted.count(md5) != 0)
          present[md5] = object.size;
      }
      return OkStatus();
    }));
    return present;
  }
  std::vector<char> found(md5s.size(), 0);
  RETURN_IF_ERROR(ParallelFor(md5s.size(), jobs, [&](size_t i) -> Status {
    Result<bool> exists = remote.Exists(ObjectKey(md5s[i]));
    if (!exists.ok() && exists.status().code() != Code::kNotFound)
      return exists.status();
    found[i] = exists.ok() && *exists;
    return OkStatus();
  }));
  for (size_t i = 0; i < md5s.size(); ++i) {
    if (found[i])
      present[md5s[i]] = 0;
  }
  return present;
}

// The objects named plus the files their listings (read from the cache)
// name. `unlisted` gets the ".dir"s whose listing is not in the cache.
struct Expanded {
  std::set<std::string> files;
  std::map<std::string, std::vector<std::string>> dirs;  // listing -> its files
  std::set<std::string> unlisted;
};

Expanded ExpandFromCache(const ObjectStore& store, const std::set<std::string>& objects) {
  Expanded out;
  for (const std::string& md5 : objects) {
    if (!IsDir(md5)) {
      out.files.insert(md5);
      continue;
    }
    Result<Tree> tree = store.LoadTree(md5);
    if (!tree.ok()) {
      out.unlisted.insert(md5);
      continue;
    }
    std::vector<std::string>& files = out.dirs[md5];
    for (const TreeEntry& entry : tree->entries) {
      files.push_back(entry.md5);
      out.files.insert(entry.md5);
    }
  }
  return out;
}

// Runs transfers, collects failures and reports progress, in bytes as they
// move.
class Batch {
 public:
  using Transfer = std::function<Status(size_t, const ByteProgress&)>;

  Batch(const TransferOptions& options, std::string verb, std::string remote)
      : options_(options), verb_(std::move(verb)), remote_(std::move(remote)) {}

  void AddTotals(size_t objects, uint64_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    progress_.total_objects += objects;
    progress_.total_bytes += bytes;
  }

  // Runs `transfer(i, bytes_moved)` for i in [0, count); returns which ones
  // failed (or were not attempted). kNotFound failures go to `not_found`
  // instead when it is given.
  std::vector<char> Run(size_t count, const std::function<uint64_t(size_t)>& size_of,
                        const Transfer& transfer, TransferReport& report,
                        std::vector<std::string>* not_found = nullptr,
                        const std::function<std::string(size_t)>& name_of = {}) {
    std::vector<char> failed(count, 0);
    std::vector<uint64_t> moved(count, 0);  // guarded by mu_
    (void)ParallelFor(count, Jobs(options_), [&](size_t i) -> Status {
      if (unavailable_.load()) {
        std::lock_guard<std::mutex> lock(mu_);
        failed[i] = 1;
        ++report.not_attempted;
        ++progress_.done_objects;
        Notify();
        return OkStatus();
      }
      // Known up front on push and on fetch from a listing; 0 otherwise.
      uint64_t expected = size_of(i);
      ByteProgress bytes = [&, i, expected](uint64_t n) {
        std::lock_guard<std::mutex> lock(mu_);
        Advance(moved[i], expected != 0 ? std::min(n, expected) : n);
        Notify();
      };
      Status status = transfer(i, bytes);
      uint64_t size = size_of(i);
      std::lock_guard<std::mutex> lock(mu_);
      ++progress_.done_objects;
      Advance(moved[i], size);
      if (status.ok()) {
        ++report.transferred;
        report.transferred_bytes += size;
      } else if (not_found != nullptr && status.code() == Code::kNotFound) {
        failed[i] = 1;
        not_found->push_back(name_of(i));
      } else {
        failed[i] = 1;
        ++report.failed;
        report.failed_bytes += size;
        Record(status);
        if (status.code() == Code::kUnavailable)
          unavailable_ = true;
      }
      Notify();
      return OkStatus();
    });
    return failed;
  }

  // Counts an object that was not sent because others failed: its message
  // is quoted, but the call's Code stays that of the failures it follows.
  void FailAsConsequence(std::string message, TransferReport& report) {
    std::lock_guard<std::mutex> lock(mu_);
    ++report.failed;
    errors_.push_back(std::move(message));
  }

  Status Finish(const TransferReport& report) const {
    if (errors_.empty())
      return OkStatus();
    std::string text;
    for (size_t i = 0; i < errors_.size() && i < 3; ++i)
      text += (i == 0 ? "" : "; ") + errors_[i];
    if (errors_.size() > 3)
      text += fmt::format(" (and {} more)", errors_.size() - 3);
    if (report.not_attempted != 0) {
      text +=
          fmt::format("; {} more not tried while the remote is unavailable", report.not_attempted);
    }
    return Error(common_code_.value_or(Code::kFailed), "{} of {} objects failed to {} {}: {}",
                 report.failed + report.not_attempted,
                 report.failed + report.not_attempted + report.transferred, verb_, remote_, text);
  }

 private:
  // Raises an object's moved bytes to `n` (never lowers them: a retry that
  // starts over does not move the bar back). Requires mu_.
  void Advance(uint64_t& moved, uint64_t n) {
    if (n > moved) {
      progress_.done_bytes += n - moved;
      moved = n;
    }
  }
  void Notify() {
    if (options_.progress)
      options_.progress(progress_);
  }
  // Requires mu_.
  void Record(const Status& status) {
    errors_.push_back(status.message());
    if (!common_code_.has_value())
      common_code_ = status.code();
    else if (*common_code_ != status.code())
      common_code_ = Code::kFailed;
  }

  const TransferOptions& options_;
  const std::string verb_;
  const std::string remote_;
  std::atomic<bool> unavailable_{false};  // a transfer failed with kUnavailable
  std::mutex mu_;
  TransferProgress progress_;        // guarded by mu_
  std::vector<std::string> errors_;  // guarded by mu_
  std::optional<Code> common_code_;  // guarded by mu_; what every error shared
};

uint64_t FileSize(const fs::path& path) {
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

// Downloads `md5` into a temporary file in the cache, which the backend
// hashes as it writes, and renames it into place only when the md5 matches.
Status FetchObject(const ObjectStore& store, RemoteStorage& remote, const std::string& md5,
                   const ByteProgress& progress) {
  fs::path object = store.ObjectPath(md5);
  std::error_code ec;
  fs::create_directories(object.parent_path(), ec);
  if (ec) {
    return Error(Code::kIo, "cannot create {}: {}", object.parent_path().string(), ec.message());
  }
  std::string key = ObjectKey(md5);
  fs::path tmp = TempPathBeside(object);
  auto discard = [&] {
    std::error_code ignored;
    fs::remove(tmp, ignored);
  };
  Result<FileDigest> digest = remote.Download(key, tmp, progress);
  if (!digest.ok()) {
    discard();
    return digest.status();
  }
  if (digest->md5 != ContentMd5(md5)) {
    discard();
    return Error(Code::kInvalid, "{}/{}: content hashes to {}, expected {}", remote.Describe(), key,
                 digest->md5, ContentMd5(md5));
  }
  if (::chmod(tmp.c_str(), 0444) != 0 || ::rename(tmp.c_str(), object.c_str()) != 0) {
    std::string reason = ErrnoMessage();
    discard();
    return Error(Code::kIo, "cannot move {} into the cache at {}: {}", key, object.string(),
                 reason);
  }
  return OkStatus();
}

}  // namespace

int DefaultTransferJobs() { return std::min(64, 4 * DefaultThreadCount()); }

Result<TransferReport> Push(const ObjectStore& store, RemoteStorage& remote,
                            const std::set<std::string>& objects, const TransferOptions& options) {
  TransferReport report;
  Expanded expanded = ExpandFromCache(store, objects);
  report.missing.assign(expanded.unlisted.begin(), expanded.unlisted.end());

  // Only what the cache holds can go.
  std::map<std::string, fs::path> local;
  std::set<std::string> unavailable(expanded.unlisted);
  auto locate = [&](const std::string& md5) {
    std::optional<fs::path> path = store.Find(md5);
    if (path.has_value()) {
      local.emplace(md5, *path);
    } else {
      report.missing.push_back(md5);
      unavailable.insert(md5);
    }
  };
  for (const std::string& md5 : expanded.files)
    locate(md5);
  for (const auto& [md5, files] : expanded.dirs)
    locate(md5);

  std::vector<std::string> candidates;
  candidates.reserve(local.size());
  for (const auto& [md5, path] : local)
    candidates.push_back(md5);
  ASSIGN_OR_RETURN(auto present, RemotePresence(remote, candidates, Jobs(options)));

  // A listed object of the wrong size is a leftover of an interrupted
  // upload on a server that does not write atomically: send it again.
  bool sized = remote.CanList();
  std::vector<std::string> files;
  std::vector<std::string> dirs;
  uint64_t total_bytes = 0;
  for (const std::string& md5 : candidates) {
    auto it = present.find(md5);
    if (it != present.end() && (!sized || it->second == FileSize(local[md5]))) {
      ++report.present;
      continue;
    }
    (IsDir(md5) ? dirs : files).push_back(md5);
    total_bytes += FileSize(local[md5]);
  }

  Batch batch(options, "push to", remote.Describe());
  batch.AddTotals(files.size() + dirs.size(), total_bytes);
  auto size_of = [&](const std::vector<std::string>& list) {
    return [&](size_t i) { return FileSize(local.at(list[i])); };
  };
  std::vector<char> failed = batch.Run(
      files.size(), size_of(files),
      [&](size_t i, const ByteProgress& bytes) {
        return remote.Upload(local.at(files[i]), ObjectKey(files[i]), bytes);
      },
      report);
  for (size_t i = 0; i < files.size(); ++i) {
    if (failed[i])
      unavailable.insert(files[i]);
  }

  // A listing goes only once all of its files are on the remote.
  std::vector<std::string> ready;
  for (const std::string& md5 : dirs) {
    size_t absent = 0;
    for (const std::string& file : expanded.dirs[md5])
      absent += unavailable.count(file);
    if (absent == 0) {
      ready.push_back(md5);
    } else {
      batch.FailAsConsequence(
          fmt::format("{}: not pushed because {} of its files could not be", md5, absent), report);
    }
  }
  batch.Run(
      ready.size(), size_of(ready),
      [&](size_t i, const ByteProgress& bytes) {
        return remote.Upload(local.at(ready[i]), ObjectKey(ready[i]), bytes);
      },
      report);
  RETURN_IF_ERROR(batch.Finish(report));
  return report;
}

Result<TransferReport> Fetch(const ObjectStore& store, RemoteStorage& remote,
                             const std::set<std::string>& objects, const TransferOptions& options) {
  TransferReport report;
  Batch batch(options, "fetch from", remote.Describe());

  // Splits `md5s` into what the cache lacks (returned) and what it has.
  std::map<std::string, uint64_t> sizes;
  auto lacking = [&](const std::set<std::string>& md5s) -> Result<std::vector<std::string>> {
    std::vector<std::string> absent;
    for (const std::string& md5 : md5s) {
      if (store.Find(md5).has_value())
        ++report.present;
      else
        absent.push_back(md5);
    }
    if (remote.CanList()) {
      // One listing tells sizes (for progress) and what is not there at all.
      ASSIGN_OR_RETURN(auto present, RemotePresence(remote, absent, Jobs(options)));
      std::vector<std::string> available;
      for (const std::string& md5 : absent) {
        auto it = present.find(md5);
        if (it == present.end()) {
          report.missing.push_back(md5);
        } else {
          sizes[md5] = it->second;
          available.push_back(md5);
        }
      }
      return available;
    }
    return absent;
  };
  auto run = [&](const std::vector<std::string>& list) {
    uint64_t bytes = 0;
    for (const std::string& md5 : list)
      bytes += sizes.count(md5) != 0 ? sizes.at(md5) : 0;
    batch.AddTotals(list.size(), bytes);
    batch.Run(
        list.size(),
        [&](size_t i) {
          return sizes.count(list[i]) != 0 ? sizes.at(list[i])
                                           : FileSize(store.ObjectPath(list[i]));
        },
        [&](size_t i, const ByteProgress& bytes) {
          Status fetched = FetchObject(store, remote, list[i], bytes);
          if (fetched.ok() && options.stored && !IsDir(list[i]))
            options.stored(list[i]);
          return fetched;
        },
        report, &report.missing, [&](size_t i) { return list[i]; });
  };

  // Listings first: they say which files to get.
  std::set<std::string> dirs;
  std::set<std::string> files;
  for (const std::string& md5 : objects)
    (IsDir(md5) ? dirs : files).insert(md5);
  ASSIGN_OR_RETURN(std::vector<std::string> dir_list, lacking(dirs));
  run(dir_list);
  for (const std::string& md5 : dirs) {
    Result<Tree> tree = store.LoadTree(md5);
    if (!tree.ok())
      continue;  // failed or missing above, already counted
    for (const TreeEntry& entry : tree->entries)
      files.insert(entry.md5);
  }
  if (options.listings_ready)
    options.listings_ready();
  ASSIGN_OR_RETURN(std::vector<std::string> file_list, lacking(files));
  run(file_list);
  RETURN_IF_ERROR(batch.Finish(report));
  return report;
}

Result<CloudStatus> CompareWithRemote(const ObjectStore& store, RemoteStorage& remote,
                                      const std::set<std::string>& objects, int jobs) {
  Expanded expanded = ExpandFromCache(store, objects);
  std::set<std::string> all(expanded.files);
  all.insert(expanded.unlisted.begin(), expanded.unlisted.end());
  for (const auto& [md5, files] : expanded.dirs)
    all.insert(md5);
  std::vector<std::string> md5s(all.begin(), all.end());
  ASSIGN_OR_RETURN(auto present,
                   RemotePresence(remote, md5s, jobs > 0 ? jobs : DefaultTransferJobs()));
  CloudStatus status;
  for (const std::string& md5 : md5s) {
    bool in_cache = store.Find(md5).has_value();
    bool on_remote = present.count(md5) != 0;
    if (in_cache && on_remote)
      status.in_sync.push_back(md5);
    else if (in_cache)
      status.not_on_remote.push_back(md5);
    else if (on_remote)
      status.not_in_cache.push_back(md5);
    else
      status.missing.push_back(md5);
  }
  return status;
}

}  // namespace conveyor
