#include "testing/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

namespace conveyor::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kDefaultBinDir = "/usr/lib/postgresql/15/bin";
constexpr const char* kSuperuser = "postgres";
constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(10);
constexpr int kPortAttempts = 4;
// sockaddr_un.sun_path holds 108 bytes; the socket is DIR/.s.PGSQL.NNNNN.
constexpr size_t kMaxSocketDirLength = 80;

std::string Tail(const fs::path& path, size_t max_lines) {
  std::ifstream in(path);
  if (!in)
    return "<no log at " + path.string() + ">";
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  std::string out;
  for (size_t i = first; i < lines.size(); ++i)
    out += lines[i] + "\n";
  return out.empty() ? "<empty log at " + path.string() + ">" : out;
}

// A TCP port on 127.0.0.1 that nobody listened on a moment ago.
Result<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return Error(Code::kIo, "socket: {}", std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    int error = errno;
    ::close(fd);
    return Error(Code::kIo, "cannot find a free port on 127.0.0.1: {}", std::strerror(error));
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

// True when every ancestor of `dir` lets other users through, so a server
// running as another user can reach its directory.
bool TraversableByOthers(const fs::path& dir) {
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || (st.st_mode & S_IXOTH) == 0)
      return false;
    if (p == p.root_path())
      break;
  }
  return true;
}

// Where to put the server: $TMPDIR unless the server's user could not reach
// it or the socket path would not fit, then /tmp.
fs::path TempBase(bool other_user) {
  const char* env = std::getenv("TMPDIR");
  fs::path base = env != nullptr && *env != '\0' ? fs::path(env) : fs::path("/tmp");
  std::error_code ec;
  base = fs::absolute(base, ec);
  if (ec || base.string().size() + 40 > kMaxSocketDirLength ||
      (other_user && !TraversableByOthers(base)))
    return "/tmp";
  return base;
}

struct RunAs {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Forks and execs argv[0] with stdout and stderr appended to `log`, as
// `run_as` when asked. The child receives SIGQUIT (immediate shutdown for
// postgres) if this process dies first, so a crashed test leaves no server.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const fs::path& log, RunAs run_as) {
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    return Error(Code::kIo, "cannot open {}: {}", log.string(), std::strerror(errno));
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    if (null_fd >= 0)
      ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (run_as.drop &&
        (::setgroups(0, nullptr) != 0 || ::setgid(run_as.gid) != 0 || ::setuid(run_as.uid) != 0)) {
      static const char kMessage[] = "cannot switch to the postgres user\n";
      (void)!::write(2, kMessage, sizeof(kMessage) - 1);
      ::_exit(126);
    }
    // After setuid: a change of credentials clears the death signal.
    ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (::getppid() != parent)
      ::_exit(1);
    ::execv(args[0], args.data());
    static const char kMessage[] = "exec failed\n";
    (void)!::write(2, kMessage, sizeof(kMessage) - 1);
    ::_exit(127);
  }
  int fork_errno = errno;
  ::close(log_fd);
  if (null_fd >= 0)
    ::close(null_fd);
  if (pid < 0)
    return Error(Code::kIo, "fork: {}", std::strerror(fork_errno));
  return pid;
}

// Waits for `pid` up to `timeout`; its wait status, or nullopt if it is
// still running.
std::optional<int> WaitFor(pid_t pid, Clock::duration timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR))
      return status;
    if (Clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->owner_pid_ = ::getpid();
  server->user_ = kSuperuser;
  const char* bin_env = std::getenv("CONVEYOR_PG_BINDIR");
  server->bin_dir_ = bin_env != nullptr && *bin_env != '\0' ? bin_env : kDefaultBinDir;
  for (const char* tool : {"initdb", "postgres"}) {
    fs::path binary = server->bin_dir_ / tool;
    if (::access(binary.c_str(), X_OK) != 0) {
      return Error(Code::kNotFound,
                   "PostgreSQL server binary {} not found: install the postgresql package "
                   "(scripts/install-deps.sh) or set CONVEYOR_PG_BINDIR",
                   binary.string());
    }
  }
  if (::geteuid() == 0) {
    // initdb and postgres refuse to run as root.
    struct passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) {
      return Error(Code::kNotFound,
                   "running as root, and there is no 'postgres' user to run the test server as "
                   "(install the postgresql package: scripts/install-deps.sh)");
    }
    server->drop_privileges_ = true;
    server->run_uid_ = pw->pw_uid;
    server->run_gid_ = pw->pw_gid;
  }

  std::string pattern = (TempBase(server->drop_privileges_) / "conveyor-pg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return Error(Code::kIo, "mkdtemp {}: {}", pattern, std::strerror(errno));
  server->directory_ = pattern;
  if (server->drop_privileges_ &&
      ::chown(server->directory_.c_str(), server->run_uid_, server->run_gid_) != 0) {
    return Error(Code::kIo, "chown {} to postgres: {}", server->directory_.string(),
                 std::strerror(errno));
  }

  RunAs run_as{server->drop_privileges_, server->run_uid_, server->run_gid_};
  fs::path initdb_log = server->directory_ / "initdb.log";
  ASSIGN_OR_RETURN(pid_t initdb, Spawn({(server->bin_dir_ / "initdb").string(), "--pgdata",
                                        (server->directory_ / "data").string(), "--username",
                                        kSuperuser, "--auth", "trust", "--encoding", "UTF8",
                                        "--locale", "C", "--no-sync", "--no-instructions"},
                                       initdb_log, run_as));
  std::optional<int> status = WaitFor(initdb, std::chrono::seconds(120));
  if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    if (!status) {
      ::kill(initdb, SIGKILL);
      ::waitpid(initdb, nullptr, 0);
    }
    return Error(Code::kFailed, "initdb failed in {}:\n{}", server->directory_.string(),
                 Tail(initdb_log, 30));
  }
  RETURN_IF_ERROR(server->Launch());
  return server;
}

Status PostgresServer::Launch() {
  fs::path socket_dir = directory_ / "socket";
  std::error_code ec;
  fs::create_directory(socket_dir, ec);
  if (ec)
    return Error(Code::kIo, "cannot create {}: {}", socket_dir.string(), ec.message());
  if (drop_privileges_ && ::chown(socket_dir.c_str(), run_uid_, run_gid_) != 0)
    return Error(Code::kIo, "chown {}: {}", socket_dir.string(), std::strerror(errno));
  fs::path log = directory_ / "postgres.log";
  RunAs run_as{drop_privileges_, run_uid_, run_gid_};

  for (int attempt = 1; attempt <= kPortAttempts; ++attempt) {
    ASSIGN_OR_RETURN(port_, FreePort());
    std::string port = std::to_string(port_);
    ASSIGN_OR_RETURN(
        pid_, Spawn({(bin_dir_ / "postgres").string(), "-D", (directory_ / "data").string(), "-k",
                     socket_dir.string(), "-h", "127.0.0.1", "-p", port, "-c", "fsync=off", "-c",
                     "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
                     "max_connections=200", "-c", "shared_buffers=32MB"},
                    log, run_as));
    const char* keywords[] = {"host", "port", "user", "dbname", "connect_timeout", nullptr};
    const char* values[] = {"127.0.0.1", port.c_str(), kSuperuser, "postgres", "2", nullptr};
    Clock::time_point deadline = Clock::now() + kStartTimeout;
    std::optional<int> exited;
    while (Clock::now() < deadline) {
      if (PQpingParams(keywords, values, 0) == PQPING_OK)
        return OkStatus();
      exited = WaitFor(pid_, std::chrono::milliseconds(0));
      if (exited)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!exited) {
      Stop();
      return Error(Code::kFailed,
                   "PostgreSQL in {} did not accept connections on port {} in {} s:\n{}",
                   directory_.string(), port_, kStartTimeout.count(), LogTail());
    }
    pid_ = -1;
    std::string tail = LogTail();
    bool port_taken = tail.find("could not bind") != std::string::npos ||
                      tail.find("already in use") != std::string::npos;
    if (!port_taken || attempt == kPortAttempts) {
      return Error(Code::kFailed, "PostgreSQL in {} exited while starting on port {}:\n{}",
                   directory_.string(), port_, tail);
    }
  }
  return Error(Code::kInternal, "unreachable");
}

void PostgresServer::Stop() {
  if (pid_ <= 0)
    return;
  // SIGINT: fast shutdown (disconnect clients, no checkpoint wait for them).
  for (int signal : {SIGINT, SIGQUIT, SIGKILL}) {
    ::kill(pid_, signal);
    if (WaitFor(pid_, kStopTimeout))
      break;
  }
  pid_ = -1;
}

PostgresServer::~PostgresServer() {
  if (::getpid() != owner_pid_)
    return;
  Stop();
  if (!directory_.empty()) {
    std::error_code ec;
    fs::remove_all(directory_, ec);
  }
}

std::string PostgresServer::LogTail() const { return Tail(directory_ / "postgres.log", 30); }

std::string PostgresServer::CreateDatabase() {
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    name = "db" + std::to_string(next_database_++);
  }
  std::string port = std::to_string(port_);
  const char* keywords[] = {"host", "port", "user", "dbname", nullptr};
  const char* values[] = {"127.0.0.1", port.c_str(), user_.c_str(), "postgres", nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, 0);
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    // `name` is ours ("dbN"), not user data; identifiers cannot be parameters.
    PGresult* result = PQexec(conn, ("CREATE DATABASE " + name).c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK)
      error = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  if (!error.empty()) {
    throw std::runtime_error("cannot create database " + name + " on the test PostgreSQL server: " +
                             error + "\nserver log:\n" + LogTail());
  }
  return "postgresql://" + user_ + "@127.0.0.1:" + port + "/" + name;
}

PostgresServer& SharedPostgresServer() {
  static std::mutex mu;
  // Destroyed at exit, which stops the server and removes its directory.
  static std::unique_ptr<PostgresServer> server;
  static std::string failure;
  std::lock_guard<std::mutex> lock(mu);
  if (server == nullptr && failure.empty()) {
    Result<std::unique_ptr<PostgresServer>> started = PostgresServer::Start();
    if (started.ok())
      server = std::move(started).value();
    else
      failure = "cannot start the test PostgreSQL server: " + started.status().ToString();
  }
  if (server == nullptr)
    throw std::runtime_error(failure);
  return *server;
}

}  // namespace conveyor::testing
