#include "common/status.h"

namespace conveyor {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kUsage:
      return "usage";
    case Code::kInvalid:
      return "invalid";
    case Code::kNotFound:
      return "not found";
    case Code::kAlreadyExists:
      return "already exists";
    case Code::kIo:
      return "io";
    case Code::kFailed:
      return "failed";
    case Code::kCancelled:
      return "cancelled";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kPermissionDenied:
      return "permission denied";
    case Code::kConflict:
      return "conflict";
    case Code::kInternal:
      return "internal";
  }
  return "unknown";
}

Status::Status(Code code, std::string message) {
  if (code != Code::kOk) {
    state_ = std::make_shared<const State>(State{code, std::move(message)});
  }
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok())
    return *this;
  return Status(state_->code, fmt::format("{}: {}", prefix, state_->message));
}

std::string Status::ToString() const {
  if (ok())
    return "ok";
  return state_->message;
}

}  // namespace conveyor
