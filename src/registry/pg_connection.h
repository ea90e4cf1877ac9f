// A thin RAII layer over libpq for the PostgreSQL registry store: one
// connection, parameterised statements only (user data never enters SQL
// text), results read as text, errors turned into Status by SQLSTATE.
//
// Thread safety: none; one PgConnection per thread, like a PGconn.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

// libpq's handle types, declared so this header does not need libpq-fe.h.
struct pg_conn;
struct pg_result;

namespace conveyor {

// A statement parameter: its text form, or SQL NULL.
using PgParam = std::optional<std::string>;

// The rows of a statement, read in text form. Move-only.
class PgResult {
 public:
  explicit PgResult(pg_result* result);
  PgResult(PgResult&&) noexcept;
  PgResult& operator=(PgResult&&) noexcept;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int column) const;
  // The value's text; "" for NULL.
  std::string Text(int row, int column) const;
  // Integers and booleans. A NULL or malformed value reads as 0 / false;
  // the columns the store reads are NOT NULL or checked with IsNull first.
  int64_t Int(int row, int column) const;
  bool Bool(int row, int column) const;

 private:
  pg_result* result_;
};

// Where a connection goes, without its password.
struct PgTarget {
  std::string user;
  std::string host;
  std::string port;
  std::string dbname;

  // "postgresql://user@host:port/dbname", omitting what is unknown.
  std::string Url() const;
};

class PgConnection {
 public:
  // Connects to `url`, a libpq connection URI or conninfo string. Defaults
  // that the URL may override: connect_timeout=10 s, lock_timeout=30 s,
  // client_encoding=UTF8, application_name=conveyor. kUnavailable when the
  // server cannot be reached or refuses us, kInvalid for a malformed URL;
  // neither message contains the password.
  static Result<std::unique_ptr<PgConnection>> Connect(std::string_view url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // The connected user, host, port and database.
  const PgTarget& target() const { return target_; }

  // Runs one statement with $1, $2, … bound to `params`. Errors by SQLSTATE:
  // kConflict for a serialisation failure or deadlock (the transaction may
  // be retried), kAlreadyExists for a unique violation, kInvalid for bad
  // data (invalid UTF-8, a value out of range, a NUL byte in a parameter),
  // kIo for a missing privilege, kUnavailable for a lost connection, a lock
  // or statement timeout or an overloaded server, kInternal otherwise.
  // Messages name the server and the SQLSTATE, never the password.
  Result<PgResult> Exec(std::string_view sql, const std::vector<PgParam>& params = {});

  // The payloads of the notifications (NOTIFY, after a LISTEN run through
  // Exec) that have arrived, without waiting; empty when none. kUnavailable
  // when the connection is lost (EnsureConnected, then LISTEN again).
  Result<std::vector<std::string>> Notifications();

  // False once the server has dropped the connection.
  bool healthy() const;
  // Re-establishes a connection the server dropped; OK when it is healthy.
  Status EnsureConnected();

 private:
  PgConnection(pg_conn* conn, std::string password);
  Status ResultError(pg_result* result);

  // Constant after construction.
  pg_conn* conn_;
  std::string password_;  // scrubbed from every message; never printed
  PgTarget target_;
};

}  // namespace conveyor
