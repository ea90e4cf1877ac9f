// Hearing at once that an alias moved in a PostgreSQL registry: every alias
// set or removed in a PostgresStore also runs pg_notify on kAliasChannel
// with "<model>@<alias>" inside its transaction, so the notification is
// delivered when, and only if, the move commits. An AliasListener holds its
// own connection with LISTEN on that channel; a replica following an alias
// (serving/alias_follower.h) asks it at every tick and checks the registry
// at once when its alias is named, instead of waiting for its next poll.
//
// Polling stays the fallback and the truth: a notification only says "look
// now". A lost connection is re-established (and LISTEN run again) on the
// next call, which then answers true, since a notification may have been
// missed meanwhile.
//
// Thread safety: none; one thread uses a listener (serve's main loop).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"

namespace conveyor {

class PgConnection;

inline constexpr std::string_view kAliasChannel = "conveyor_aliases";

// The notification payload for `model@alias`.
std::string AliasNotification(std::string_view model, std::string_view alias);

class AliasListener {
 public:
  // Connects to the registry at `url` (postgresql://…) and listens.
  // kUnavailable when it cannot be reached (the message names it, never
  // the password).
  static Result<std::unique_ptr<AliasListener>> Open(std::string_view url);
  ~AliasListener();
  AliasListener(const AliasListener&) = delete;
  AliasListener& operator=(const AliasListener&) = delete;

  // Whether `model@alias` was set or removed since the last call, without
  // waiting. Notifications for other aliases are dropped. True also after
  // the connection was lost and re-established; false while it cannot be.
  bool Moved(std::string_view model, std::string_view alias);

 private:
  explicit AliasListener(std::unique_ptr<PgConnection> conn);

  std::unique_ptr<PgConnection> conn_;
  bool lost_ = false;  // the connection failed; re-listen on the next call
};

}  // namespace conveyor
