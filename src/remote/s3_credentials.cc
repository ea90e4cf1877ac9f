#include "remote/s3_credentials.h"

#include <cstdlib>
#include <filesystem>

#include "common/file_util.h"
#include "common/strings.h"

namespace conveyor {

namespace {

std::string_view Trim(std::string_view text) { return TrimBlanks(text, " \t\r\n"); }

std::optional<std::string> Option(const std::map<std::string, std::string>& options,
                                  const std::string& name) {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second;
}

// A shared file's path: the option, the variable, or $HOME/.aws/<name>.
// `explicit_path` says whether the user named it (then it must be readable).
std::optional<std::filesystem::path> SharedFilePath(std::optional<std::string> from_option,
                                                    std::optional<std::string> from_env,
                                                    const EnvLookup& env, const char* name,
                                                    bool& explicit_path) {
  explicit_path = true;
  if (from_option) {
    return std::filesystem::path(*from_option);
  }
  if (from_env) {
    return std::filesystem::path(*from_env);
  }
  explicit_path = false;
  std::optional<std::string> home = env("HOME");
  if (!home) {
    return std::nullopt;
  }
  return std::filesystem::path(*home) / ".aws" / name;
}

// Reads a shared file; nullopt when it is absent and was not named.
Result<std::optional<std::string>> ReadShared(const std::optional<std::filesystem::path>& path,
                                              bool explicit_path) {
  if (!path) {
    return std::optional<std::string>();
  }
  if (!explicit_path && !PathExists(*path)) {
    return std::optional<std::string>();
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(*path));
  return std::optional<std::string>(std::move(text));
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr || *value == '\0') {
      return std::nullopt;
    }
    return std::string(value);
  };
}

std::map<std::string, std::string> AwsIniSection(std::string_view text, std::string_view section) {
  std::map<std::string, std::string> values;
  bool inside = false;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = Trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      continue;
    }
    if (line.front() == '[' && line.back() == ']') {
      inside = Trim(line.substr(1, line.size() - 2)) == section;
      continue;
    }
    size_t eq = line.find('=');
    if (!inside || eq == std::string_view::npos) {
      continue;
    }
    values[std::string(Trim(line.substr(0, eq)))] = std::string(Trim(line.substr(eq + 1)));
  }
  return values;
}

Result<S3Identity> ResolveS3Identity(const std::map<std::string, std::string>& options,
                                     const EnvLookup& env) {
  S3Identity identity;
  std::optional<std::string> region = Option(options, "region");
  if (!region) {
    region = env("AWS_REGION");
  }
  if (!region) {
    region = env("AWS_DEFAULT_REGION");
  }

  std::optional<std::string> key = Option(options, "access_key_id");
  std::optional<std::string> secret = Option(options, "secret_access_key");
  if (key && secret) {
    identity.credentials = {*key, *secret, Option(options, "session_token").value_or("")};
    identity.source = "remote options";
  } else if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
    identity.credentials = {*env("AWS_ACCESS_KEY_ID"), *env("AWS_SECRET_ACCESS_KEY"),
                            env("AWS_SESSION_TOKEN").value_or("")};
    identity.source = "environment";
  }

  // The shared files: for keys when none were found above, and for the
  // region when neither option nor environment gave one.
  std::string profile = Option(options, "profile").value_or(env("AWS_PROFILE").value_or("default"));
  if (identity.source.empty()) {
    bool named = false;
    std::optional<std::filesystem::path> path =
        SharedFilePath(Option(options, "credentialpath"), env("AWS_SHARED_CREDENTIALS_FILE"), env,
                       "credentials", named);
    ASSIGN_OR_RETURN(std::optional<std::string> text, ReadShared(path, named));
    if (text) {
      std::map<std::string, std::string> section = AwsIniSection(*text, profile);
      if (section.count("aws_access_key_id") && section.count("aws_secret_access_key")) {
        identity.credentials = {section["aws_access_key_id"], section["aws_secret_access_key"],
                                section["aws_session_token"]};
        identity.source = fmt::format("{} [{}]", path->string(), profile);
      }
    }
  }
  if (identity.source.empty() || !region) {
    bool named = false;
    std::optional<std::filesystem::path> path =
        SharedFilePath(Option(options, "configpath"), env("AWS_CONFIG_FILE"), env, "config", named);
    ASSIGN_OR_RETURN(std::optional<std::string> text, ReadShared(path, named));
    if (text) {
      // ~/.aws/config names profiles "[profile x]", except "[default]".
      std::map<std::string, std::string> section =
          AwsIniSection(*text, profile == "default" ? profile : "profile " + profile);
      if (identity.source.empty() && section.count("aws_access_key_id") &&
          section.count("aws_secret_access_key")) {
        identity.credentials = {section["aws_access_key_id"], section["aws_secret_access_key"],
                                section["aws_session_token"]};
        identity.source = fmt::format("{} [{}]", path->string(), profile);
      }
      if (!region && section.count("region") && !section["region"].empty()) {
        region = section["region"];
      }
    }
  }
  if (identity.source.empty()) {
    identity.source = "none";
  }
  identity.region = region.value_or("us-east-1");
  return identity;
}

}  // namespace conveyor
