#include "registry/registry_store.h"

#include <algorithm>
#include <filesystem>

#include "common/redact.h"
#include "registry/postgres_store.h"
#include "registry/sqlite_store.h"

namespace conveyor {
namespace {

constexpr size_t kMaxNameLength = 128;

bool IsNameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool IsNameChar(char c) { return IsNameStart(c) || c == '.' || c == '_' || c == '-'; }

// True for [A-Za-z0-9][A-Za-z0-9._-]{0,127}.
bool IsWellFormedName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength && IsNameStart(name[0]) &&
         std::all_of(name.begin(), name.end(), IsNameChar);
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The scheme of "scheme://rest", or "" when `url` does not have that form.
std::string_view UrlScheme(std::string_view url) {
  size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0)
    return {};
  std::string_view scheme = url.substr(0, colon);
  bool ok = std::all_of(scheme.begin(), scheme.end(),
                        [](char c) { return IsNameStart(c) || c == '+' || c == '.' || c == '-'; });
  return ok ? scheme : std::string_view();
}

}  // namespace

std::string_view ExperimentStatusName(ExperimentStatus status) {
  switch (status) {
    case ExperimentStatus::kSucceeded:
      return "succeeded";
    case ExperimentStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

Status ValidateRegistryName(std::string_view what, std::string_view name) {
  if (!IsWellFormedName(name)) {
    return Error(Code::kInvalid,
                 "invalid {} '{}': expected 1 to {} characters from A-Z a-z 0-9 . _ -, "
                 "starting with a letter or digit",
                 what, name, kMaxNameLength);
  }
  if (what == "alias") {
    if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Error(Code::kInvalid, "invalid alias '{}': all digits would read as a version number",
                   name);
    }
    if (name == "latest")
      return Error(Code::kInvalid, "invalid alias 'latest': reserved for the newest version");
  }
  return OkStatus();
}

Status ValidateExperimentTag(std::string_view tag) {
  if (IsWellFormedName(tag))
    return OkStatus();
  return Error(Code::kInvalid,
               "invalid experiment tag '{}': expected 1 to {} characters from A-Z a-z 0-9 . _ -, "
               "starting with a letter or digit",
               tag, kMaxNameLength);
}

bool IsPostgresUrl(std::string_view url) {
  return StartsWith(url, "postgresql://") || StartsWith(url, "postgres://");
}

std::string_view SqlitePathOf(std::string_view url) {
  if (StartsWith(url, "sqlite://"))
    return url.substr(9);  // sqlite:///abs/path and sqlite://rel/path
  if (StartsWith(url, "sqlite:"))
    return url.substr(7);
  return url;
}

Result<std::unique_ptr<RegistryStore>> OpenRegistryStore(std::string_view url) {
  if (url.empty())
    return Error(Code::kInvalid,
                 "empty registry URL (expected sqlite:PATH, a path, or "
                 "postgresql://...)");
  if (IsPostgresUrl(url))
    return OpenPostgresStore(url);
  std::string_view path = SqlitePathOf(url);
  if (path == url && !UrlScheme(url).empty()) {
    std::string_view scheme = UrlScheme(url);
    return Error(Code::kInvalid,
                 "registry URL '{}' has unsupported scheme '{}' (expected sqlite: or "
                 "postgresql://)",
                 RedactUrlPasswords(url), scheme);
  }
  if (path.empty())
    return Error(Code::kInvalid, "registry URL '{}' names no database file", url);
  return OpenSqliteStore(std::filesystem::path(path));
}

}  // namespace conveyor
