// What a remote may be: its name, its URL (which picks the storage type) and
// the options DVC defines for that type. Pure functions, used when a remote
// is written so that .dvc/config only ever holds what DVC also accepts.
//
// Types conveyor stores to: a local or mounted folder (a path or file:///),
// S3-compatible storage (s3://bucket[/prefix]) and SFTP (ssh://, with
// sftp:// accepted and written as ssh://, the only spelling DVC knows).
// Other DVC types (gs://, azure://, http://, ...) are read and listed but not
// added.
//
// Thread safety: stateless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor {

enum class RemoteType { kLocal, kS3, kSsh, kOther };

// "local", "s3", "ssh" or "other".
std::string_view RemoteTypeName(RemoteType type);

struct RemoteUrl {
  RemoteType type = RemoteType::kLocal;
  // The URL as it should be written (sftp:// becomes ssh://).
  std::string url;
  std::string scheme;  // "" for a plain path
  std::string host;    // s3: the bucket; ssh: the host
  std::string user;    // ssh only, percent-decoded, may be empty
  // ssh only: the password of "ssh://user:password@host/path",
  // percent-decoded ("p%40ss" is "p@ss"), may be empty. Never print it;
  // print RedactUrlPasswords(url) (common/redact.h).
  std::string password;
  int port = 0;      // ssh only; 0 when not given
  std::string path;  // s3: the prefix without leading '/'; else the path
};

// Why an s3:// URL with keys in it ("s3://KEY:SECRET@bucket") is refused:
// they would be committed with .dvc/config and printed with the bucket.
inline constexpr std::string_view kS3UrlWithCredentials =
    "an s3:// URL carries no credentials (it has '@' before the bucket); set access_key_id and "
    "secret_access_key with 'conveyor remote modify --local'";

// Splits `url` without judging it; any scheme is accepted (kOther for the
// ones conveyor cannot store to). Fails only for a malformed URL. Errors
// quote the URL with its password masked.
Result<RemoteUrl> ParseRemoteUrl(std::string_view url);

// Like ParseRemoteUrl, but only for types conveyor can store to; the error
// lists those.
Result<RemoteUrl> ParseSupportedRemoteUrl(std::string_view url);

// Remote names: lower case (DVC lower-cases them), a letter or digit first,
// then letters, digits, '.', '_' or '-'. The error says why `name` fails.
Status ValidateRemoteName(std::string_view name);

// The option names DVC's config schema allows for remotes of `type`,
// including url, sorted. Empty for kOther.
const std::vector<std::string>& KnownRemoteOptions(RemoteType type);

// Checks that `option` exists for `type` (the error lists the known ones and
// suggests the nearest) and that `value` fits it: true/false for booleans, a
// whole number for ports, jobs and timeouts.
Status ValidateRemoteOption(RemoteType type, std::string_view option, std::string_view value);

// Options holding secrets (access_key_id, secret_access_key, session_token,
// password, passphrase, sse_customer_key) that belong in .dvc/config.local,
// which Git does not track, and are masked wherever options are printed.
bool IsSecretOption(std::string_view option);

// Options whose value is a local path that DVC stores relative to the .dvc
// directory (url, keyfile, credentialpath, ...).
bool IsPathOption(std::string_view option);

}  // namespace conveyor
