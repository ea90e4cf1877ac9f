// Where the S3 backend gets its credentials and region, in the order the AWS
// tools use: the remote's own options (access_key_id, secret_access_key,
// session_token, region), the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION),
// then the shared files ~/.aws/credentials and ~/.aws/config for one profile
// (the `profile` option, else AWS_PROFILE, else "default"; the paths from the
// `credentialpath` / `configpath` options, else AWS_SHARED_CREDENTIALS_FILE /
// AWS_CONFIG_FILE, else under $HOME). The region falls back to us-east-1.
//
// The environment comes in through a lookup function so tests need not touch
// the process's. Errors never contain a secret.
//
// Thread safety: free functions; they read files and call `env` only.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "remote/sigv4.h"

namespace conveyor {

// Looks up an environment variable; nullopt when unset or empty.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The process environment (std::getenv).
EnvLookup ProcessEnv();

struct S3Identity {
  AwsCredentials credentials;  // all empty: anonymous requests
  std::string region;
  // Where the keys came from, for messages: "remote options", "environment",
  // "/home/u/.aws/credentials [default]", or "none".
  std::string source;
};

// Resolves credentials and region for a remote with `options` (DVC's option
// names). An unreadable or malformed shared file named explicitly (option or
// variable) is an error; a missing default file is not.
Result<S3Identity> ResolveS3Identity(const std::map<std::string, std::string>& options,
                                     const EnvLookup& env);

// The `key = value` pairs of section `section` of an AWS shared file's text
// (INI: [section] headers, '#' and ';' comments, names trimmed). Empty when
// the section is absent.
std::map<std::string, std::string> AwsIniSection(std::string_view text, std::string_view section);

}  // namespace conveyor
