// A throwaway PostgreSQL server for tests: initdb in a private temporary
// directory, `postgres` listening on 127.0.0.1 on a free port (its unix
// socket inside that directory, fsync off, trust authentication), and
// CreateDatabase() handing out URLs of new, empty databases on it.
//
// initdb and postgres refuse to run as root, so when the test runs as root
// (CI containers) the server runs as the `postgres` system user that
// Debian's postgresql package creates, in a directory owned by that user.
//
// The binaries come from /usr/lib/postgresql/15/bin (scripts/install-deps.sh
// installs them), or from $CONVEYOR_PG_BINDIR when set. Missing binaries are
// an error, never a silent skip.
//
// Thread safety: CreateDatabase may be called from several threads.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

namespace conveyor::testing {

class PostgresServer {
 public:
  // Starts a server and waits (up to 20 s) until it accepts connections.
  // kNotFound when the binaries are missing; kFailed with the tail of the
  // server's log when it does not come up.
  static Result<std::unique_ptr<PostgresServer>> Start();

  // Stops the server (fast shutdown) and removes its directory.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates a new, empty database and returns its URL,
  // "postgresql://postgres@127.0.0.1:PORT/dbN". Throws std::runtime_error
  // (a failed test under GoogleTest) when the server refuses.
  std::string CreateDatabase();

  int port() const { return port_; }
  // The superuser the server was initialised with ("postgres").
  const std::string& user() const { return user_; }
  // The data, socket and log directory.
  const std::filesystem::path& directory() const { return directory_; }
  // The last lines of the server's log, for failure messages.
  std::string LogTail() const;

 private:
  PostgresServer() = default;
  Status Launch();
  void Stop();

  // Constant after Start().
  std::filesystem::path directory_;
  std::filesystem::path bin_dir_;
  std::string user_;
  int port_ = 0;
  pid_t pid_ = -1;
  // Set when running as root: the account the server runs as.
  bool drop_privileges_ = false;
  uid_t run_uid_ = 0;
  gid_t run_gid_ = 0;

  pid_t owner_pid_ = 0;  // a forked child inherits the object but must not stop the server

  std::mutex mu_;
  int next_database_ = 1;  // guarded by mu_
};

// One server per test binary, started on first use and stopped at exit.
// Throws std::runtime_error (which GoogleTest reports as the failure of the
// test that called it) when the server cannot start; later calls throw the
// same error without trying again.
PostgresServer& SharedPostgresServer();

}  // namespace conveyor::testing
