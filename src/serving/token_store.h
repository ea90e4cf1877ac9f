// The bearer tokens `conveyor serve` accepts, each with a name (what logs
// show; never the token) and a role (access_control.h says what each role
// may do). Tokens come from two sources, and both may be used at once:
//
//   CONVEYOR_TOKENS (environment), comma-separated entries:
//       TOKEN:ROLE              named "env-<first 8 hex digits of sha256(TOKEN)>"
//       NAME=TOKEN:ROLE         named NAME
//     e.g. CONVEYOR_TOKENS="abc123:admin,ci=def456:predict". The role is what
//     follows the last ':'; the name is what precedes the first '=', so a
//     token containing '=' must be given a name. Blanks around entries are
//     trimmed; empty entries are skipped. A token shorter than 16 characters
//     is accepted with a warning.
//
//   a token file (serve --tokens FILE; written by `conveyor token`), one line
//   per token, fields separated by blanks:
//       NAME ROLE sha256:<64 hex digits of sha256(TOKEN)>
//     '#' starts a comment line; blank lines are ignored. The file holds only
//     hashes: a leaked file gives no token away. Format 1 (the one here); the
//     "sha256:" prefix names the hash, so another can be added later without
//     breaking existing files.
//
// Names: 1-64 characters from A-Z a-z 0-9 . _ -, starting with a letter or
// digit; "anonymous" is reserved (the audit log's word for --no-auth). Names
// and tokens must be unique across both sources.
//
// Errors name where (the file and line, or CONVEYOR_TOKENS and the entry's
// 1-based index) and the field at fault, and never quote a token (nor any
// other part of a CONVEYOR_TOKENS entry but its name).
//
// Thread safety: a TokenStore is immutable once built; Find may be called
// from any number of threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sha256.h"
#include "common/status.h"

namespace conveyor::serving {

// The roles a token can hold (what each grants: access_control.h).
enum class Role : uint8_t { kRead, kPredict, kFeedback, kAdmin };

// "read", "predict", "feedback", "admin".
std::string_view RoleName(Role role);
// The role named `name` (exactly, lower case), or nullopt.
std::optional<Role> ParseRole(std::string_view name);
// "read, predict, feedback, admin", for error messages.
std::string KnownRoles();

// The environment variable tokens are read from.
inline constexpr std::string_view kTokensEnvVar = "CONVEYOR_TOKENS";
// Tokens shorter than this draw a warning.
inline constexpr size_t kMinTokenLength = 16;
inline constexpr size_t kMaxTokenNameLength = 64;
// The name the audit log gives the caller when authentication is off.
inline constexpr std::string_view kAnonymous = "anonymous";

struct TokenEntry {
  std::string name;
  Role role = Role::kRead;
  Sha256Digest hash{};  // sha256 of the token
  std::string origin;   // "CONVEYOR_TOKENS entry 2", "tokens.txt:4": for error messages
};

// Checks a token name (see above); kInvalid naming `where` otherwise.
Status ValidateTokenName(std::string_view where, std::string_view name);

// The entries of CONVEYOR_TOKENS's value. Warnings (short tokens) are
// appended to `warnings`. kInvalid on the first bad entry.
Result<std::vector<TokenEntry>> ParseTokensEnv(std::string_view value,
                                               std::vector<std::string>& warnings);

// The entries of a token file's text; `file` is the name errors use.
Result<std::vector<TokenEntry>> ParseTokenFile(std::string_view text, std::string_view file);

// One token file line (no newline): "NAME ROLE sha256:HEX".
std::string FormatTokenLine(std::string_view name, Role role, const Sha256Digest& hash);

class TokenStore {
 public:
  // No tokens: Find always fails.
  TokenStore() = default;

  // Adds `entries`; kAlreadyExists when a name or a token is already present
  // (or repeated within `entries`), naming both origins. Nothing is added
  // then.
  Status Add(std::vector<TokenEntry> entries);

  // The entry whose hash is sha256(`token`), or null. Takes the same time
  // whichever entry matches, or none: the token is hashed once, then compared
  // with every stored hash by CRYPTO_memcmp, without stopping at a match, and
  // the match is selected without a branch. `compared`, when given, is set to
  // the number of hashes compared (a test hook: always size()).
  const TokenEntry* Find(std::string_view token, size_t* compared = nullptr) const;

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const std::vector<TokenEntry>& entries() const { return entries_; }

 private:
  std::vector<TokenEntry> entries_;
};

// Builds the store serve uses from CONVEYOR_TOKENS's value (nullopt: unset)
// and a token file (nullopt: none). Warnings go to `warnings`.
Result<TokenStore> LoadTokenStore(const std::optional<std::string>& env_value,
                                  const std::optional<std::filesystem::path>& file,
                                  std::vector<std::string>& warnings);

}  // namespace conveyor::serving
