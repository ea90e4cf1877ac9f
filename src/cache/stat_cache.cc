#include "cache/stat_cache.h"

#include <sqlite3.h>

#include <string_view>
#include <system_error>

namespace conveyor {
namespace {

namespace fs = std::filesystem;

// Resets a statement when a scope ends, whatever the path out.
class StmtScope {
 public:
  explicit StmtScope(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtScope() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtScope(const StmtScope&) = delete;
  StmtScope& operator=(const StmtScope&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

void BindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void BindBlob(sqlite3_stmt* stmt, int index, std::string_view blob) {
  sqlite3_bind_blob(stmt, index, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
}

// SQLite integers are signed 64-bit; unsigned values are stored bit for bit.
void BindU64(sqlite3_stmt* stmt, int index, uint64_t value) {
  sqlite3_bind_int64(stmt, index, static_cast<sqlite3_int64>(value));
}

uint64_t ColumnU64(sqlite3_stmt* stmt, int index) {
  return static_cast<uint64_t>(sqlite3_column_int64(stmt, index));
}

std::string ColumnText(sqlite3_stmt* stmt, int index) {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, index));
  int size = sqlite3_column_bytes(stmt, index);
  return data == nullptr ? std::string() : std::string(data, static_cast<size_t>(size));
}

FileStat ColumnStat(sqlite3_stmt* stmt, int first) {
  return FileStat{ColumnU64(stmt, first), ColumnU64(stmt, first + 1),
                  sqlite3_column_int64(stmt, first + 2), ColumnU64(stmt, first + 3)};
}

constexpr const char* kCreateSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
  path TEXT PRIMARY KEY, dev INTEGER NOT NULL, inode INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, md5 TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dirs(
  path TEXT PRIMARY KEY, key BLOB NOT NULL, md5 TEXT NOT NULL, size INTEGER NOT NULL,
  nfiles INTEGER NOT NULL, entry_md5s BLOB NOT NULL);
)sql";

}  // namespace

Result<std::unique_ptr<StatCache>> StatCache::Open(const fs::path& db_path) {
  std::unique_ptr<StatCache> cache(new StatCache());
  RETURN_IF_ERROR(cache->Init(db_path));
  return cache;
}

StatCache::~StatCache() {
  for (sqlite3_stmt* stmt : {lookup_file_, files_under_, put_file_, lookup_dir_, put_dir_}) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db_);
}

Status StatCache::SqlError(std::string_view what) const {
  return Error(Code::kIo, "stat cache {}: cannot {}: {}", db_path_, what,
               db_ == nullptr ? "out of memory" : sqlite3_errmsg(db_));
}

Status StatCache::Exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(std::string_view(sql).substr(0, 40));
  }
  return OkStatus();
}

Status StatCache::Prepare(const char* sql, sqlite3_stmt** stmt) {
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK) {
    return SqlError("prepare a statement");
  }
  return OkStatus();
}

Status StatCache::Init(const fs::path& db_path) {
  db_path_ = db_path.string();
  std::error_code ec;
  if (db_path.has_parent_path())
    fs::create_directories(db_path.parent_path(), ec);
  if (ec)
    return Error(Code::kIo, "stat cache {}: cannot create its directory: {}", db_path_,
                 ec.message());
  if (sqlite3_open_v2(db_path_.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return SqlError("open");
  }
  sqlite3_busy_timeout(db_, 5000);
  RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(Exec("PRAGMA synchronous=NORMAL"));

  // Read the version, if any, before touching the schema.
  int version = 0;
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key='schema_version'", -1, &stmt,
                           nullptr) == SQLITE_OK) {
      if (sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
      sqlite3_finalize(stmt);
    }
  }
  if (version > kSchemaVersion) {
    return Error(Code::kInvalid,
                 "stat cache {} has schema version {}, newer than this conveyor supports ({}); "
                 "upgrade conveyor or delete the file",
                 db_path_, version, kSchemaVersion);
  }
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status status;
  if (version != 0 && version < kOldestSupportedVersion) {
    status = Exec("DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS dirs;");
  }
  if (status.ok())
    status = Exec(kCreateSchema);
  if (status.ok()) {
    std::string sql = fmt::format(
        "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '{}')", kSchemaVersion);
    status = Exec(sql.c_str());
  }
  if (!status.ok()) {
    (void)Exec("ROLLBACK");
    return status;
  }
  RETURN_IF_ERROR(Exec("COMMIT"));

  RETURN_IF_ERROR(
      Prepare("SELECT dev, inode, mtime_ns, size, md5 FROM files WHERE path = ?1", &lookup_file_));
  RETURN_IF_ERROR(Prepare(
      "SELECT path, dev, inode, mtime_ns, size, md5 FROM files WHERE path > ?1 AND path < ?2",
      &files_under_));
  RETURN_IF_ERROR(
      Prepare("INSERT OR REPLACE INTO files(path, dev, inode, mtime_ns, size, md5) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
              &put_file_));
  RETURN_IF_ERROR(Prepare(
      "SELECT md5, size, nfiles, entry_md5s FROM dirs WHERE path = ?1 AND key = ?2", &lookup_dir_));
  RETURN_IF_ERROR(
      Prepare("INSERT OR REPLACE INTO dirs(path, key, md5, size, nfiles, entry_md5s) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
              &put_dir_));
  return OkStatus();
}

Result<std::optional<std::string>> StatCache::LookupFile(const std::string& path,
                                                         const FileStat& stat) {
  std::lock_guard<std::mutex> lock(mu_);
  StmtScope scope(lookup_file_);
  BindText(lookup_file_, 1, path);
  int rc = sqlite3_step(lookup_file_);
  if (rc == SQLITE_DONE)
    return std::optional<std::string>();
  if (rc != SQLITE_ROW)
    return SqlError("look up a file");
  if (ColumnStat(lookup_file_, 0) != stat)
    return std::optional<std::string>();
  return std::optional<std::string>(ColumnText(lookup_file_, 4));
}

Result<std::unordered_map<std::string, FileRecord>> StatCache::LoadFilesUnder(
    const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  StmtScope scope(files_under_);
  // Paths below "dir" are exactly those in ("dir/", "dir0"): '0' follows '/'.
  std::string low = dir + "/";
  std::string high = dir + "0";
  BindText(files_under_, 1, low);
  BindText(files_under_, 2, high);
  std::unordered_map<std::string, FileRecord> records;
  for (;;) {
    int rc = sqlite3_step(files_under_);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW)
      return SqlError("read file records");
    FileRecord record{ColumnText(files_under_, 0), ColumnStat(files_under_, 1),
                      ColumnText(files_under_, 5)};
    std::string key = record.path;
    records.emplace(std::move(key), std::move(record));
  }
  return records;
}

Status StatCache::PutFiles(std::span<const FileRecord> records) {
  if (records.empty())
    return OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  for (const FileRecord& record : records) {
    StmtScope scope(put_file_);
    BindText(put_file_, 1, record.path);
    BindU64(put_file_, 2, record.stat.device);
    BindU64(put_file_, 3, record.stat.inode);
    sqlite3_bind_int64(put_file_, 4, record.stat.mtime_ns);
    BindU64(put_file_, 5, record.stat.size);
    BindText(put_file_, 6, record.md5);
    if (sqlite3_step(put_file_) != SQLITE_DONE) {
      Status status = SqlError("record a file hash");
      (void)Exec("ROLLBACK");
      return status;
    }
  }
  return Exec("COMMIT");
}

Result<std::optional<DirRecord>> StatCache::LookupDir(const std::string& path,
                                                      const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  StmtScope scope(lookup_dir_);
  BindText(lookup_dir_, 1, path);
  BindBlob(lookup_dir_, 2, key);
  int rc = sqlite3_step(lookup_dir_);
  if (rc == SQLITE_DONE)
    return std::optional<DirRecord>();
  if (rc != SQLITE_ROW)
    return SqlError("look up a directory");
  DirRecord record;
  record.path = path;
  record.key = key;
  record.hash.md5 = ColumnText(lookup_dir_, 0);
  record.hash.size = ColumnU64(lookup_dir_, 1);
  record.hash.nfiles = ColumnU64(lookup_dir_, 2);
  record.entry_md5s = ColumnText(lookup_dir_, 3);
  return std::optional<DirRecord>(std::move(record));
}

Status StatCache::PutDir(const DirRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  StmtScope scope(put_dir_);
  BindText(put_dir_, 1, record.path);
  BindBlob(put_dir_, 2, record.key);
  BindText(put_dir_, 3, record.hash.md5);
  BindU64(put_dir_, 4, record.hash.size);
  BindU64(put_dir_, 5, record.hash.nfiles.value_or(0));
  BindBlob(put_dir_, 6, record.entry_md5s);
  if (sqlite3_step(put_dir_) != SQLITE_DONE)
    return SqlError("record a directory hash");
  return OkStatus();
}

}  // namespace conveyor
