#include "registry/sqlite_db.h"

#include <sqlite3.h>

#include <system_error>
#include <utility>

namespace conveyor {

namespace fs = std::filesystem;

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::Bind(int index, std::string_view text) {
  // A null data pointer would bind NULL; an empty string must stay "".
  sqlite3_bind_text(stmt_, index, text.empty() ? "" : text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  std::string_view sql = sqlite3_sql(stmt_);
  return db_->ErrorFor(rc, fmt::format("run \"{}...\"", sql.substr(0, 40)));
}

Status SqliteStatement::Run() {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row)
      return OkStatus();
  }
}

Status SqliteStatement::ForEachRow(const std::function<void()>& visit) {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row)
      return OkStatus();
    visit();
  }
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t SqliteStatement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string SqliteStatement::Text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string() : std::string(data, static_cast<size_t>(size));
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const fs::path& path, const Options& options) {
  std::unique_ptr<SqliteDb> db(new SqliteDb(path.string(), options));
  std::error_code ec;
  if (path.has_parent_path())
    fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return Error(Code::kIo, "cannot create the directory of {} {}: {}", options.label, db->path_,
                 ec.message());
  }
  int rc =
      sqlite3_open_v2(db->path_.c_str(), &db->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK)
    return db->ErrorFor(rc, "open it");
  sqlite3_extended_result_codes(db->db_, 1);
  sqlite3_busy_timeout(db->db_, options.busy_timeout_ms);
  RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  return db;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Status SqliteDb::ErrorFor(int rc, std::string_view what) const {
  if ((rc & 0xff) == SQLITE_BUSY) {
    return Error(Code::kUnavailable, "{} {} is locked by another process (waited {} ms)",
                 options_.label, path_, options_.busy_timeout_ms);
  }
  const char* message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return Error(Code::kIo, "{} {}: cannot {}: {}", options_.label, path_, what, message);
}

Status SqliteDb::Exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    return ErrorFor(rc, fmt::format("run \"{}...\"", std::string_view(sql).substr(0, 40)));
  return OkStatus();
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return ErrorFor(rc, fmt::format("prepare \"{}...\"", sql.substr(0, 40)));
  }
  return SqliteStatement(this, stmt);
}

int64_t SqliteDb::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

Result<bool> SqliteDb::HasTable(std::string_view name) {
  ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare("SELECT 1 FROM sqlite_master WHERE name = ?1"));
  stmt.Bind(1, name);
  return stmt.Step();
}

Result<SqliteTransaction> SqliteTransaction::Begin(SqliteDb& db) {
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return SqliteTransaction(&db);
}

Result<SqliteTransaction> SqliteTransaction::BeginRead(SqliteDb& db) {
  RETURN_IF_ERROR(db.Exec("BEGIN"));
  return SqliteTransaction(&db);
}

SqliteTransaction::~SqliteTransaction() {
  if (db_ != nullptr)
    (void)db_->Exec("ROLLBACK");
}

Status SqliteTransaction::Commit() {
  Status status = db_->Exec("COMMIT");
  if (status.ok())
    db_ = nullptr;  // on failure the destructor rolls back
  return status;
}

}  // namespace conveyor
