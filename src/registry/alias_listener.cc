#include "registry/alias_listener.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "registry/pg_connection.h"

namespace conveyor {

namespace {

Status Listen(PgConnection& conn) {
  return conn.Exec(fmt::format("LISTEN {}", kAliasChannel)).status();
}

}  // namespace

std::string AliasNotification(std::string_view model, std::string_view alias) {
  return fmt::format("{}@{}", model, alias);
}

AliasListener::AliasListener(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}

AliasListener::~AliasListener() = default;

Result<std::unique_ptr<AliasListener>> AliasListener::Open(std::string_view url) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(url));
  RETURN_IF_ERROR(Listen(*conn));
  return std::unique_ptr<AliasListener>(new AliasListener(std::move(conn)));
}

bool AliasListener::Moved(std::string_view model, std::string_view alias) {
  if (lost_) {
    if (!conn_->EnsureConnected().ok() || !Listen(*conn_).ok())
      return false;
    lost_ = false;
    return true;  // anything may have moved while we were away
  }
  Result<std::vector<std::string>> payloads = conn_->Notifications();
  if (!payloads.ok()) {
    lost_ = true;
    return false;
  }
  const std::string wanted = AliasNotification(model, alias);
  bool moved = false;
  for (const std::string& payload : *payloads)
    moved = moved || payload == wanted;
  return moved;
}

}  // namespace conveyor
