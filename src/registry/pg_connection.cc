#include "registry/pg_connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <utility>

#include "common/percent_encoding.h"
#include "common/redact.h"
#include "common/strings.h"

namespace conveyor {
namespace {

// libpq messages span lines ("...failed: Connection refused\n\tIs the
// server running..."); a Status message reads better on one.
std::string OneLine(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty())
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Every spelling of a password `url` may carry, found without libpq (which
// may have rejected the URL): "scheme://user:PASS@host" and "password=PASS"
// in the query or a conninfo string, raw and percent-decoded.
std::vector<std::string> PasswordsIn(std::string_view url) {
  std::vector<std::string> found;
  auto add = [&](std::string_view raw) {
    if (raw.empty())
      return;
    found.emplace_back(raw);
    std::string decoded = PercentDecodeOrKeep(raw);
    if (decoded != raw)
      found.push_back(std::move(decoded));
  };
  if (size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    std::string_view rest = url.substr(scheme + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = authority.substr(0, at);
      if (size_t colon = userinfo.find(':'); colon != std::string_view::npos)
        add(userinfo.substr(colon + 1));
    }
  }
  for (size_t at = url.find("password="); at != std::string_view::npos;
       at = url.find("password=", at + 1)) {
    std::string_view value = url.substr(at + 9);
    add(value.substr(0, value.find_first_of("& ")));
  }
  return found;
}

std::string Scrub(std::string text, const std::vector<std::string>& passwords) {
  return RedactSecrets(std::move(text), passwords);
}

std::string Value(const char* text) { return text != nullptr ? text : ""; }

// A host for a URL: a unix socket directory is percent-encoded.
std::string UrlHost(std::string_view host) {
  std::string out;
  for (char c : host) {
    if (c == '/')
      out += "%2F";
    else
      out += c;
  }
  return out;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Code CodeForSqlState(std::string_view state) {
  if (state == "40001" || state == "40P01")  // serialization_failure, deadlock_detected
    return Code::kConflict;
  if (state == "23505")  // unique_violation
    return Code::kAlreadyExists;
  if (StartsWith(state, "22"))  // data_exception: bad encoding, out of range
    return Code::kInvalid;
  if (state == "42501")  // insufficient_privilege: PostgreSQL's "cannot open the file"
    return Code::kIo;
  // connection_exception, insufficient_resources, operator_intervention
  // (shutdown, query_canceled by statement_timeout), lock_not_available.
  if (StartsWith(state, "08") || StartsWith(state, "53") || StartsWith(state, "57") ||
      state == "55P03")
    return Code::kUnavailable;
  return Code::kInternal;
}

void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

std::string PgTarget::Url() const {
  std::string url = "postgresql://";
  if (!user.empty())
    url += user + "@";
  url += UrlHost(host);
  if (!port.empty())
    url += ":" + port;
  if (!dbname.empty())
    url += "/" + dbname;
  return url;
}

PgResult::PgResult(pg_result* result) : result_(result) {}
PgResult::PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
PgResult::~PgResult() { PQclear(result_); }

int PgResult::rows() const { return result_ != nullptr ? PQntuples(result_) : 0; }

bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string PgResult::Text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t PgResult::Int(int row, int column) const {
  const char* text = PQgetvalue(result_, row, column);
  int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

bool PgResult::Bool(int row, int column) const {
  return PQgetvalue(result_, row, column)[0] == 't';
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(std::string_view url) {
  std::string conninfo(url);
  std::vector<std::string> passwords = PasswordsIn(url);
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (options == nullptr) {
    std::string message = parse_error != nullptr ? OneLine(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return Error(Code::kInvalid, "invalid PostgreSQL URL: {}", Scrub(message, passwords));
  }
  PgTarget wanted;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    std::string_view keyword = option->keyword;
    std::string value = Value(option->val);
    if (keyword == "password" && !value.empty())
      passwords.push_back(value);
    else if (keyword == "user")
      wanted.user = value;
    else if (keyword == "host" || (keyword == "hostaddr" && wanted.host.empty()))
      wanted.host = value;
    else if (keyword == "port")
      wanted.port = value;
    else if (keyword == "dbname")
      wanted.dbname = value;
  }
  PQconninfoFree(options);

  // Earlier entries are defaults: later ones, and those in the URL that
  // `dbname` expands to, override them.
  const char* keywords[] = {"connect_timeout",           "options", "client_encoding",
                            "fallback_application_name", "dbname",  nullptr};
  const char* values[] = {"10",       "-c lock_timeout=30000", "UTF8",
                          "conveyor", conninfo.c_str(),        nullptr};
  pg_conn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr)
    return Error(Code::kUnavailable, "cannot connect to PostgreSQL at {}: out of memory",
                 Scrub(wanted.Url(), passwords));
  if (PQstatus(conn) != CONNECTION_OK) {
    // Fill in what libpq tried, for the message.
    PgTarget tried{Value(PQuser(conn)), Value(PQhost(conn)), Value(PQport(conn)),
                   Value(PQdb(conn))};
    for (auto [field, fallback] :
         {std::pair{&tried.user, &wanted.user}, std::pair{&tried.host, &wanted.host},
          std::pair{&tried.port, &wanted.port}, std::pair{&tried.dbname, &wanted.dbname}}) {
      if (field->empty())
        *field = *fallback;
    }
    std::string message = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Error(Code::kUnavailable, "cannot connect to PostgreSQL at {}: {}",
                 Scrub(tried.Url(), passwords), Scrub(message, passwords));
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  std::string password = Value(PQpass(conn));
  std::unique_ptr<PgConnection> connection(new PgConnection(conn, std::move(password)));
  connection->target_ = {Value(PQuser(conn)), Value(PQhost(conn)), Value(PQport(conn)),
                         Value(PQdb(conn))};
  return connection;
}

PgConnection::PgConnection(pg_conn* conn, std::string password)
    : conn_(conn), password_(std::move(password)) {}

PgConnection::~PgConnection() { PQfinish(conn_); }

Result<std::vector<std::string>> PgConnection::Notifications() {
  if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
    return Error(Code::kUnavailable, "lost the connection to PostgreSQL at {}: {}", target_.Url(),
                 Scrub(OneLine(PQerrorMessage(conn_)), {password_}));
  }
  std::vector<std::string> payloads;
  while (PGnotify* notify = PQnotifies(conn_)) {
    payloads.emplace_back(notify->extra != nullptr ? notify->extra : "");
    PQfreemem(notify);
  }
  return payloads;
}

bool PgConnection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

Status PgConnection::EnsureConnected() {
  if (PQstatus(conn_) == CONNECTION_OK)
    return OkStatus();
  PQreset(conn_);
  if (PQstatus(conn_) == CONNECTION_OK)
    return OkStatus();
  return Error(Code::kUnavailable, "lost the connection to PostgreSQL at {}: {}", target_.Url(),
               Scrub(OneLine(PQerrorMessage(conn_)), {password_}));
}

Result<PgResult> PgConnection::Exec(std::string_view sql, const std::vector<PgParam>& params) {
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const PgParam& param = params[i];
    // libpq takes C strings: a NUL would silently cut the value short.
    if (param && param->find('\0') != std::string::npos)
      return Error(Code::kInvalid, "{}: value ${} contains a NUL byte", target_.Url(), i + 1);
    values.push_back(param ? param->c_str() : nullptr);
  }
  pg_result* result = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()),
                                   /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                                   /*paramFormats=*/nullptr, /*resultFormat=text*/ 0);
  ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return PgResult(result);
  Status error = ResultError(result);
  PQclear(result);
  return error;
}

Status PgConnection::ResultError(pg_result* result) {
  std::vector<std::string> passwords;
  if (!password_.empty())
    passwords.push_back(password_);
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (state == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
    return Error(Code::kUnavailable, "lost the connection to PostgreSQL at {}: {}", target_.Url(),
                 Scrub(OneLine(PQerrorMessage(conn_)), passwords));
  }
  std::string message = Value(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY));
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL))
    message += fmt::format(" ({})", detail);
  return Error(CodeForSqlState(state), "{}: {} [SQLSTATE {}]", target_.Url(),
               Scrub(OneLine(message), passwords), state);
}

}  // namespace conveyor
