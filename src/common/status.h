// Status and Result<T>: conveyor's one error currency.
//
// A Status is free when OK (a null pointer) and otherwise carries a code and a
// message that names what is at fault (file:line:col, stage, field). Library
// exceptions are caught at module edges and turned into a Status; none crosses
// a module boundary.
//
// Thread safety: Status and Result are values; distinct objects may be used
// from different threads freely, one object needs external synchronisation.
#pragma once

#include <fmt/core.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace conveyor {

enum class Code {
  kOk = 0,
  kUsage,             // bad command line: exit status 2
  kInvalid,           // bad input file or value (parse errors, schema errors)
  kNotFound,          // a named file, stage, key or object does not exist
  kAlreadyExists,     // e.g. two stages with the same output
  kIo,                // the operating system refused a read, write, or rename
  kFailed,            // a command we ran failed
  kCancelled,         // interrupted by a signal
  kUnavailable,       // a service (database, remote) cannot be reached or is busy
  kPermissionDenied,  // a service refused our credentials
  kConflict,          // the state changed under us, or is newer than we understand
  kInternal,          // a bug in conveyor
};

// Returns a short lower-case name for `code` ("invalid", "io", ...).
std::string_view CodeName(Code code);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message);

  bool ok() const { return state_ == nullptr; }
  Code code() const { return state_ ? state_->code : Code::kOk; }
  // Empty when ok().
  const std::string& message() const;

  // Returns a copy whose message is "`prefix`: <message>"; OK stays OK.
  Status WithContext(std::string_view prefix) const;

  std::string ToString() const;

 private:
  struct State {
    Code code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

inline Status OkStatus() { return Status(); }

template <typename... Args>
Status Error(Code code, fmt::format_string<Args...> format, Args&&... args) {
  return Status(code, fmt::format(format, std::forward<Args>(args)...));
}

// Result<T> holds either a T or a non-OK Status.
template <typename T>
class Result {
 public:
  using value_type = T;

  Result(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status)                         // NOLINT(google-explicit-constructor)
      : data_(std::move(status)) {
    if (std::get<Status>(data_).ok()) {
      data_ = Status(Code::kInternal, "Result constructed from an OK status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  Status status() const { return ok() ? Status() : std::get<Status>(data_); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace conveyor

#define CONVEYOR_CONCAT_INNER(a, b) a##b
#define CONVEYOR_CONCAT(a, b) CONVEYOR_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` yields a non-OK Status.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::conveyor::Status status_macro_ = (expr); \
    if (!status_macro_.ok())                   \
      return status_macro_;                    \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its
// error from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(CONVEYOR_CONCAT(result_macro_, __LINE__), lhs, expr)
// `lhs` may be a declaration ("auto x"), so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok())                              \
    return tmp.status();                      \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
