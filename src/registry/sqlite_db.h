// A thin RAII layer over the SQLite C API: a connection whose every error
// names its file, prepared statements with bound parameters (the only way
// user data reaches SQL), and an IMMEDIATE transaction that rolls back unless
// committed.
//
// Error mapping: SQLITE_BUSY (another connection held the lock past the
// busy timeout) -> kUnavailable "<label> <path> is locked by
// another process (waited N ms)"; anything else -> kIo naming the file, what
// was being done and SQLite's message.
//
// Thread safety: a SqliteDb and its statements belong to one thread at a
// time (the connection is opened with SQLITE_OPEN_NOMUTEX). Separate SqliteDb
// objects on one file may be used from different threads or processes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace conveyor {

class SqliteDb;

// One prepared statement; finalized on destruction. Must not outlive its
// SqliteDb. Bind indexes and column numbers follow SQLite: parameters from
// 1, columns from 0.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  SqliteStatement& Bind(int index, std::string_view text);
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& BindNull(int index);

  // Steps once: true when a row is ready to read, false when done. A
  // statement left on a row keeps its read open: Reset() or destroy it
  // before committing.
  Result<bool> Step();
  // Steps to the end, for statements that return no rows.
  Status Run();
  // Steps to the end, calling `visit` while each row is current.
  Status ForEachRow(const std::function<void()>& visit);
  // Rewinds and clears the bindings, for running the statement again.
  void Reset();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  std::string Text(int column) const;

 private:
  friend class SqliteDb;
  SqliteStatement(const SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  const SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  struct Options {
    std::string label = "database";  // names the file in errors ("registry database")
    int busy_timeout_ms = 5000;      // wait this long for another connection's lock
  };

  // Opens or creates the database at `path`, creating its directory. Sets
  // the busy timeout and turns foreign keys on; changes nothing in the file.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::filesystem::path& path,
                                                const Options& options);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs fixed SQL (one or more statements). Never pass user data: bind it.
  Status Exec(const char* sql);
  Result<SqliteStatement> Prepare(std::string_view sql);
  // The rowid of the last INSERT on this connection.
  int64_t LastInsertId() const;
  // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  int64_t Changes() const;
  // True when a table or index called `name` exists.
  Result<bool> HasTable(std::string_view name);

  // The Status for SQLite result code `rc` while doing `what`.
  Status ErrorFor(int rc, std::string_view what) const;
  const std::string& path() const { return path_; }

 private:
  SqliteDb(std::string path, const Options& options) : path_(std::move(path)), options_(options) {}

  // Constant after Open().
  std::string path_;
  Options options_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE: takes the write lock up front (waiting up to the busy
// timeout), so reads inside the transaction see the state the writes apply
// to. Rolls back on destruction unless Commit() succeeded.
class SqliteTransaction {
 public:
  static Result<SqliteTransaction> Begin(SqliteDb& db);
  // BEGIN (deferred): a read snapshot from the first read to the end of
  // scope, so several queries see one state of the database.
  static Result<SqliteTransaction> BeginRead(SqliteDb& db);
  SqliteTransaction(SqliteTransaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();

  Status Commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}

  SqliteDb* db_;  // null once committed or rolled back
};

}  // namespace conveyor
