// The audit log: one JSON line per state change the server makes on a
// client's behalf (today: POST /replace_ml_model, whether it succeeds or
// fails), saying who, what, from which model to which, and when. It goes to
// the same stream as the access log (serve's stderr) and is told apart by
// "type":"audit". Fields, in this order:
//
//   {"ts":"2026-01-31T12:00:00.123Z","type":"audit","action":"replace_ml_model",
//    "principal":"ops-admin","outcome":"ok","status":200,"requested":"a1b2c3d",
//    "from":{"name":"digits","version":1,"tag":"0f0f0f0"},
//    "to":{"name":"digits","version":2,"tag":"a1b2c3d"},
//    "request_id":"1a2b3c4d-2a","remote":"127.0.0.1:53122"}
//
// principal is the token's name (never the token), or "anonymous" when the
// server runs with --no-auth; outcome is "ok", "failed" (the replace was
// tried and the old model kept serving; "error" says why) or "rejected" (bad
// input, nothing tried). from/to are null when there was no model, and to
// equals from when nothing changed. requested is the tag as sent, after
// validation (a rejected tag is not echoed).
//
// Thread safety: Record may be called from any number of threads; lines
// reach the sink whole, one at a time.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "common/status.h"
#include "serving/model_manager.h"
#include "serving/router.h"

namespace conveyor::serving {

struct AuditEvent {
  std::chrono::system_clock::time_point time;
  std::string_view action;     // "replace_ml_model"
  std::string_view principal;  // token name or "anonymous"
  std::string_view outcome;    // "ok", "failed", "rejected"
  int status = 0;              // the HTTP status answered
  std::string requested;       // the tag asked for; empty when rejected
  std::optional<ModelIdentity> from;
  std::optional<ModelIdentity> to;
  std::string error;  // the answer's message when not ok
  std::string_view request_id;
  std::string_view remote;
};

// The line for `event`, without the trailing newline.
std::string FormatAuditLine(const AuditEvent& event);

class AuditLog {
 public:
  // `sink` receives each line including its '\n'.
  explicit AuditLog(std::function<void(std::string_view line)> sink) : sink_(std::move(sink)) {}
  // Writes to `out` (flushed per line); `out` must outlive the log.
  explicit AuditLog(std::ostream& out);

  void Record(const AuditEvent& event);

 private:
  std::mutex mu_;
  std::function<void(std::string_view)> sink_;  // guarded by mu_
};

// Checks a model reference part taken from a request (a tag or a name):
// 1-128 characters, no "..", no '/' or '\', no control characters. kInvalid
// naming `field` otherwise (the value is not echoed).
Status ValidateRequestName(std::string_view field, std::string_view value);

// Middleware for the route named "replace_ml_model": checks the request's
// tag (?tag= or {"tag": ...}; also "name" if sent) with ValidateRequestName
// and answers 422 "invalid_tag" naming the field before the handler runs;
// then records one audit event per request, with the model served before
// and after. Replaces through this wrapper are serialised (a mutex held
// across the handler) so that from/to describe this request's swap.
// `manager` and `log` must outlive the router. A request without a
// principal (the server runs without an authorizer) is logged as
// "anonymous". kNotFound when the router has no such route.
Status AuditReplaceRoute(Router& router, const ModelManager& manager, AuditLog& log);

}  // namespace conveyor::serving
