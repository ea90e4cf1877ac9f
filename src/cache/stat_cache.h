// A SQLite cache of content hashes keyed on file metadata, so that an
// unchanged file or directory is never re-read.
//
// Files: (path, device, inode, mtime_ns, size) -> md5. A lookup hits only if
// all four stat fields are equal to the stored ones.
// Directories: (path, key) -> md5.dir, size, nfiles and the md5 of every file
// in relpath order, where `key` is a digest over every file's (relpath,
// device, inode, mtime_ns, size) (see Hasher). A warm directory therefore
// costs one walk with stat() and one query, and no per-file lookups.
//
// Schema (documented in docs/cache.md):
//   meta(key TEXT PRIMARY KEY, value TEXT)            -- "schema_version"
//   files(path TEXT PRIMARY KEY, dev, inode, mtime_ns, size, md5 TEXT)
//   dirs(path TEXT PRIMARY KEY, key BLOB, md5 TEXT, size, nfiles,
//        entry_md5s BLOB)                             -- 16 bytes per file
// Current version kSchemaVersion, oldest readable kOldestSupportedVersion.
// Everything here can be recomputed, so the migration path from an older
// unsupported version is to drop the tables and start empty; a database
// written by a newer conveyor is refused (kInvalid), never overwritten.
//
// Durability: WAL mode, synchronous=NORMAL; every Put* is one transaction,
// so a process killed mid-write leaves the previous state (SQLite's
// guarantee). A lost last transaction only costs a re-hash.
//
// Thread safety: all methods are thread-safe (serialised on an internal
// mutex around the one SQLite connection). Several processes may share the
// file (SQLite locking, 5 s busy timeout).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "cache/hash_info.h"
#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace conveyor {

// What a stat() says about a file, enough to tell it changed.
struct FileStat {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t mtime_ns = 0;
  uint64_t size = 0;

  bool operator==(const FileStat&) const = default;
};

struct FileRecord {
  std::string path;  // absolute, lexically normal
  FileStat stat;
  std::string md5;  // 32 hex digits
};

struct DirRecord {
  std::string path;        // absolute, lexically normal
  std::string key;         // opaque digest of the directory's file stats
  HashInfo hash;           // md5 ".dir", size, nfiles
  std::string entry_md5s;  // 16 raw bytes per file, in relpath order
};

class StatCache {
 public:
  static constexpr int kSchemaVersion = 1;
  static constexpr int kOldestSupportedVersion = 1;

  // Opens or creates the database at `db_path`, creating parent directories.
  static Result<std::unique_ptr<StatCache>> Open(const std::filesystem::path& db_path);
  ~StatCache();
  StatCache(const StatCache&) = delete;
  StatCache& operator=(const StatCache&) = delete;

  // The md5 recorded for `path` if its stored stat equals `stat`.
  Result<std::optional<std::string>> LookupFile(const std::string& path, const FileStat& stat);

  // Every file record whose path is strictly below directory `dir`, keyed by
  // path: one range query, for checking many files without many lookups.
  Result<std::unordered_map<std::string, FileRecord>> LoadFilesUnder(const std::string& dir);

  // Inserts or replaces, all in one transaction.
  Status PutFiles(std::span<const FileRecord> records);

  // The record for directory `path` if its stored key equals `key`.
  Result<std::optional<DirRecord>> LookupDir(const std::string& path, const std::string& key);

  Status PutDir(const DirRecord& record);

 private:
  StatCache() = default;
  Status Init(const std::filesystem::path& db_path);
  Status Exec(const char* sql);
  Status Prepare(const char* sql, sqlite3_stmt** stmt);
  Status SqlError(std::string_view what) const;

  // Constant after Open().
  std::string db_path_;
  // Guarded by mu_: the connection and its prepared statements.
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* lookup_file_ = nullptr;
  sqlite3_stmt* files_under_ = nullptr;
  sqlite3_stmt* put_file_ = nullptr;
  sqlite3_stmt* lookup_dir_ = nullptr;
  sqlite3_stmt* put_dir_ = nullptr;
};

}  // namespace conveyor
