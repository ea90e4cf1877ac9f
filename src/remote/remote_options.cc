#include "remote/remote_options.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

#include "common/nearest.h"
#include "common/percent_encoding.h"
#include "common/redact.h"

namespace conveyor {

namespace {

// From DVC's config schema (dvc/config_schema.py): options every remote has,
// then those of each type.
const std::vector<std::string> kCommon = {"url",      "checksum_jobs", "jobs",
                                          "worktree", "no_traverse",   "version_aware"};
const std::vector<std::string> kLocalOnly = {"type", "protected", "shared", "slow_link_warning",
                                             "verify"};
const std::vector<std::string> kS3Only = {"region",
                                          "profile",
                                          "credentialpath",
                                          "configpath",
                                          "endpointurl",
                                          "access_key_id",
                                          "secret_access_key",
                                          "session_token",
                                          "listobjects",
                                          "use_ssl",
                                          "allow_anonymous_login",
                                          "ssl_verify",
                                          "sse",
                                          "sse_kms_key_id",
                                          "sse_customer_algorithm",
                                          "sse_customer_key",
                                          "acl",
                                          "grant_read",
                                          "grant_read_acp",
                                          "grant_write_acp",
                                          "grant_full_control",
                                          "cache_regions",
                                          "read_timeout",
                                          "connect_timeout",
                                          "verify"};
const std::vector<std::string> kSshOnly = {
    "type",    "port",    "user",     "password",    "ask_password", "passphrase", "ask_passphrase",
    "keyfile", "timeout", "gss_auth", "allow_agent", "max_sessions", "verify"};

const std::vector<std::string> kBooleans = {
    "worktree",     "no_traverse",       "version_aware",
    "protected",    "slow_link_warning", "verify",
    "listobjects",  "use_ssl",           "allow_anonymous_login",
    "ask_password", "ask_passphrase",    "gss_auth",
    "allow_agent",  "cache_regions"};
const std::vector<std::string> kIntegers = {
    "checksum_jobs", "jobs", "port", "timeout", "max_sessions", "read_timeout", "connect_timeout"};

std::vector<std::string> Sorted(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  return a;
}

bool Contains(const std::vector<std::string>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

std::string Join(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words)
    text += (text.empty() ? "" : ", ") + word;
  return text;
}

}  // namespace

std::string_view RemoteTypeName(RemoteType type) {
  switch (type) {
    case RemoteType::kLocal:
      return "local";
    case RemoteType::kS3:
      return "s3";
    case RemoteType::kSsh:
      return "ssh";
    case RemoteType::kOther:
      break;
  }
  return "other";
}

Result<RemoteUrl> ParseRemoteUrl(std::string_view url) {
  // Messages quote the URL without its password.
  const std::string shown = RedactUrlPasswords(url);
  RemoteUrl parsed;
  parsed.url = std::string(url);
  if (url.empty())
    return Error(Code::kInvalid, "the remote URL is empty");
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    parsed.type = RemoteType::kLocal;
    parsed.path = std::string(url);
    return parsed;
  }
  parsed.scheme = std::string(url.substr(0, sep));
  std::transform(parsed.scheme.begin(), parsed.scheme.end(), parsed.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view rest = url.substr(sep + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (parsed.scheme == "file") {
    if (!authority.empty()) {
      return Error(Code::kInvalid,
                   "'{}': a file URL names no host; write file:///absolute/path or a plain path",
                   shown);
    }
    parsed.type = RemoteType::kLocal;
    parsed.path = std::string(path);
    return parsed;
  }
  if (parsed.scheme == "s3") {
    parsed.type = RemoteType::kS3;
    if (authority.empty())
      return Error(Code::kInvalid, "'{}': an S3 URL needs a bucket: s3://bucket[/prefix]", shown);
    // Keys in the URL would be committed with .dvc/config, and quoting the
    // bucket name would print them.
    if (UrlUserinfoEnd(rest) != std::string_view::npos)
      return Error(Code::kInvalid, "{}", kS3UrlWithCredentials);
    bool valid = std::all_of(authority.begin(), authority.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '.' || c == '-' || c == '_';
    });
    if (!valid)
      return Error(Code::kInvalid, "'{}': '{}' is not a valid bucket name", shown, authority);
    parsed.host = std::string(authority);
    parsed.path = std::string(path.empty() ? path : path.substr(1));
    return parsed;
  }
  if (parsed.scheme == "ssh" || parsed.scheme == "sftp") {
    parsed.type = RemoteType::kSsh;
    // The userinfo by the rule RedactUrlPasswords uses, so a password with a
    // raw '/', '?' or '#' is read (and masked) whole.
    if (size_t at = UrlUserinfoEnd(rest); at != std::string_view::npos) {
      std::string_view userinfo = rest.substr(0, at);
      // Percent-encoded as URLs need ("p%40ss" for "p@ss"); a raw '%' that
      // starts no escape is kept.
      size_t colon = userinfo.find(':');
      parsed.user = PercentDecodeOrKeep(userinfo.substr(0, colon));
      if (colon != std::string_view::npos)
        parsed.password = PercentDecodeOrKeep(userinfo.substr(colon + 1));
      std::string_view host_and_path = rest.substr(at + 1);
      slash = host_and_path.find('/');
      authority = host_and_path.substr(0, slash);
      path = slash == std::string_view::npos ? "" : host_and_path.substr(slash);
    }
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
      std::string_view port = authority.substr(colon + 1);
      auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), parsed.port);
      if (ec != std::errc() || end != port.data() + port.size() || parsed.port < 1 ||
          parsed.port > 65535) {
        return Error(Code::kInvalid, "'{}': port '{}' is not a number from 1 to 65535", shown,
                     port);
      }
      authority = authority.substr(0, colon);
    }
    if (authority.empty()) {
      return Error(Code::kInvalid, "'{}': an SSH URL needs a host: ssh://[user@]host[:port]/path",
                   shown);
    }
    parsed.host = std::string(authority);
    parsed.path = std::string(path);
    if (parsed.scheme == "sftp") {
      parsed.scheme = "ssh";
      parsed.url = "ssh://" + std::string(url.substr(sep + 3));
    }
    return parsed;
  }
  parsed.type = RemoteType::kOther;
  parsed.host = std::string(authority);
  parsed.path = std::string(path);
  return parsed;
}

Result<RemoteUrl> ParseSupportedRemoteUrl(std::string_view url) {
  ASSIGN_OR_RETURN(RemoteUrl parsed, ParseRemoteUrl(url));
  if (parsed.type == RemoteType::kOther) {
    return Error(Code::kInvalid,
                 "'{}': conveyor cannot store to {}:// remotes; use a local path, file:///path, "
                 "s3://bucket[/prefix] or ssh://[user@]host[:port]/path (sftp:// too)",
                 RedactUrlPasswords(url), parsed.scheme);
  }
  return parsed;
}

Status ValidateRemoteName(std::string_view name) {
  if (name.empty())
    return Error(Code::kInvalid, "the remote name is empty");
  auto allowed = [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '.' || c == '_' || c == '-';
  };
  if (!std::isalnum(static_cast<unsigned char>(name.front())) ||
      !std::all_of(name.begin(), name.end(), allowed)) {
    return Error(Code::kInvalid,
                 "invalid remote name '{}': use lower-case letters, digits, '.', '_' and '-', "
                 "starting with a letter or digit",
                 name);
  }
  return OkStatus();
}

const std::vector<std::string>& KnownRemoteOptions(RemoteType type) {
  static const std::vector<std::string> local = Sorted(kCommon, kLocalOnly);
  static const std::vector<std::string> s3 = Sorted(kCommon, kS3Only);
  static const std::vector<std::string> ssh = Sorted(kCommon, kSshOnly);
  static const std::vector<std::string> none;
  switch (type) {
    case RemoteType::kLocal:
      return local;
    case RemoteType::kS3:
      return s3;
    case RemoteType::kSsh:
      return ssh;
    case RemoteType::kOther:
      break;
  }
  return none;
}

Status ValidateRemoteOption(RemoteType type, std::string_view option, std::string_view value) {
  const std::vector<std::string>& known = KnownRemoteOptions(type);
  if (!Contains(known, option)) {
    // A typo, or a truncated name ("endpoint" for "endpointurl").
    std::string hint = DidYouMean(option, known);
    for (const std::string& name : known) {
      if (hint.empty() && option.size() >= 3 && name.starts_with(option))
        hint = fmt::format(" (did you mean '{}'?)", name);
    }
    return Error(Code::kInvalid, "unknown option '{}' for {} remotes{}; known options: {}", option,
                 RemoteTypeName(type), hint, Join(known));
  }
  if (Contains(kBooleans, option)) {
    std::string lower(value);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower != "true" && lower != "false")
      return Error(Code::kInvalid, "option '{}' expects true or false, not '{}'", option, value);
  }
  if (Contains(kIntegers, option)) {
    int number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    int minimum = option == "timeout" || option.ends_with("_timeout") ? 0 : 1;
    if (ec != std::errc() || end != value.data() + value.size() || number < minimum)
      return Error(Code::kInvalid, "option '{}' expects a whole number >= {}, not '{}'", option,
                   minimum, value);
    if (option == "port" && number > 65535)
      return Error(Code::kInvalid, "option 'port' expects 1 to 65535, not '{}'", value);
  }
  if (option == "shared" && value != "group")
    return Error(Code::kInvalid, "option 'shared' expects 'group', not '{}'", value);
  return OkStatus();
}

bool IsSecretOption(std::string_view option) {
  return option == "access_key_id" || option == "secret_access_key" || option == "session_token" ||
         option == "password" || option == "passphrase" || option == "sse_customer_key";
}

bool IsPathOption(std::string_view option) {
  return option == "url" || option == "keyfile" || option == "credentialpath";
}

}  // namespace conveyor
