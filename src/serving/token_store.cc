#include "serving/token_store.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "common/file_util.h"
#include "common/md5.h"
#include "common/nearest.h"
#include "common/strings.h"

namespace conveyor::serving {

namespace {

constexpr std::array<std::string_view, 4> kRoleNames = {"read", "predict", "feedback", "admin"};
constexpr std::string_view kHashPrefix = "sha256:";

std::vector<std::string> RoleNameList() { return {kRoleNames.begin(), kRoleNames.end()}; }

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

std::optional<Sha256Digest> ParseHexDigest(std::string_view hex) {
  if (hex.size() != 2 * kSha256Size)
    return std::nullopt;
  Sha256Digest digest{};
  for (size_t i = 0; i < kSha256Size; ++i) {
    int high = HexDigitValue(hex[2 * i]);
    int low = HexDigitValue(hex[2 * i + 1]);
    if (high < 0 || low < 0)
      return std::nullopt;
    digest[i] = static_cast<uint8_t>(high * 16 + low);
  }
  return digest;
}

std::string DigestHex(const Sha256Digest& digest) {
  return ToHex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::vector<std::string_view> SplitBlanks(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t')
      ++i;
    if (i > start)
      fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

}  // namespace

std::string_view RoleName(Role role) { return kRoleNames[static_cast<size_t>(role)]; }

std::optional<Role> ParseRole(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i) {
    if (kRoleNames[i] == name)
      return static_cast<Role>(i);
  }
  return std::nullopt;
}

std::string KnownRoles() {
  std::string out;
  for (std::string_view name : kRoleNames)
    out += out.empty() ? std::string(name) : ", " + std::string(name);
  return out;
}

Status ValidateTokenName(std::string_view where, std::string_view name) {
  if (name.empty())
    return Error(Code::kInvalid, "{}: the token name is empty", where);
  if (name.size() > kMaxTokenNameLength) {
    return Error(Code::kInvalid, "{}: token name '{}...' is longer than {} characters", where,
                 name.substr(0, 16), kMaxTokenNameLength);
  }
  if (!std::isalnum(static_cast<unsigned char>(name.front())) ||
      !std::all_of(name.begin(), name.end(), IsNameChar)) {
    return Error(Code::kInvalid,
                 "{}: invalid token name '{}': expected characters from A-Z a-z 0-9 . _ -, "
                 "starting with a letter or digit",
                 where, name);
  }
  if (name == kAnonymous)
    return Error(Code::kInvalid, "{}: the token name '{}' is reserved", where, kAnonymous);
  return OkStatus();
}

Result<std::vector<TokenEntry>> ParseTokensEnv(std::string_view value,
                                               std::vector<std::string>& warnings) {
  std::vector<TokenEntry> entries;
  size_t index = 0;
  while (true) {
    size_t comma = value.find(',');
    std::string_view entry = TrimBlanks(value.substr(0, comma), " \t\r\n");
    ++index;
    if (!entry.empty()) {
      // Never quote the entry: all but its name may be the secret.
      const std::string where = fmt::format("{} entry {}", kTokensEnvVar, index);
      size_t colon = entry.rfind(':');
      if (colon == std::string_view::npos) {
        return Error(Code::kInvalid,
                     "{}: no role: expected TOKEN:ROLE or NAME=TOKEN:ROLE (roles: {})", where,
                     KnownRoles());
      }
      std::string_view role_text = entry.substr(colon + 1);
      std::optional<Role> role = ParseRole(role_text);
      if (!role) {
        // Suggest a role only when the text is close to one; never echo it.
        std::optional<std::string> near = Nearest(role_text, RoleNameList());
        return Error(Code::kInvalid, "{}: the role after the last ':' is not one of {}{}", where,
                     KnownRoles(),
                     near ? fmt::format(" (did you mean '{}'?)", *near) : std::string());
      }
      std::string_view token = entry.substr(0, colon);
      std::string name;
      if (size_t equals = token.find('='); equals != std::string_view::npos) {
        name = std::string(token.substr(0, equals));
        token.remove_prefix(equals + 1);
        RETURN_IF_ERROR(ValidateTokenName(where, name));
      }
      if (token.empty())
        return Error(Code::kInvalid, "{}: the token before ':{}' is empty", where, RoleName(*role));
      Sha256Digest hash = Sha256(token);
      if (name.empty())
        name = "env-" + DigestHex(hash).substr(0, 8);
      if (token.size() < kMinTokenLength) {
        warnings.push_back(fmt::format(
            "{} (token '{}'): the token is shorter than {} characters; 'conveyor token create' "
            "makes strong ones",
            where, name, kMinTokenLength));
      }
      entries.push_back({std::move(name), *role, hash, where});
    }
    if (comma == std::string_view::npos)
      break;
    value.remove_prefix(comma + 1);
  }
  return entries;
}

Result<std::vector<TokenEntry>> ParseTokenFile(std::string_view text, std::string_view file) {
  std::vector<TokenEntry> entries;
  size_t line_number = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    std::string_view trimmed = TrimBlanks(line, " \t");
    if (trimmed.empty() || trimmed.front() == '#')
      continue;
    const std::string where = fmt::format("{}:{}", file, line_number);
    std::vector<std::string_view> fields = SplitBlanks(trimmed);
    if (fields.size() != 3) {
      return Error(Code::kInvalid, "{}: expected 3 fields 'NAME ROLE sha256:HEX', found {}", where,
                   fields.size());
    }
    RETURN_IF_ERROR(ValidateTokenName(where + ": field 1 (name)", fields[0]));
    std::optional<Role> role = ParseRole(fields[1]);
    if (!role) {
      return Error(Code::kInvalid, "{}: field 2 (role): unknown role '{}' (known roles: {}){}",
                   where, fields[1], KnownRoles(), DidYouMean(fields[1], RoleNameList()));
    }
    std::string_view hash_text = fields[2];
    std::optional<Sha256Digest> hash;
    if (hash_text.starts_with(kHashPrefix))
      hash = ParseHexDigest(hash_text.substr(kHashPrefix.size()));
    if (!hash) {
      return Error(Code::kInvalid,
                   "{}: field 3 (hash): expected 'sha256:' followed by 64 hex digits (the file "
                   "holds hashes of tokens, never tokens)",
                   where);
    }
    entries.push_back({std::string(fields[0]), *role, *hash, where});
  }
  return entries;
}

std::string FormatTokenLine(std::string_view name, Role role, const Sha256Digest& hash) {
  return fmt::format("{} {} {}{}", name, RoleName(role), kHashPrefix, DigestHex(hash));
}

Status TokenStore::Add(std::vector<TokenEntry> entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    auto clash = [&](const TokenEntry& other) -> Status {
      if (other.name == entries[i].name) {
        return Error(Code::kAlreadyExists, "{}: token name '{}' is already used by {}",
                     entries[i].origin, entries[i].name, other.origin);
      }
      if (other.hash == entries[i].hash) {
        return Error(Code::kAlreadyExists, "{}: the same token as {} (each token once, please)",
                     entries[i].origin, other.origin);
      }
      return OkStatus();
    };
    for (const TokenEntry& other : entries_)
      RETURN_IF_ERROR(clash(other));
    for (size_t j = 0; j < i; ++j)
      RETURN_IF_ERROR(clash(entries[j]));
  }
  for (TokenEntry& entry : entries)
    entries_.push_back(std::move(entry));
  return OkStatus();
}

const TokenEntry* TokenStore::Find(std::string_view token, size_t* compared) const {
  const Sha256Digest hash = Sha256(token);
  // `found` ends as the index of the match, or size() for none; each step
  // keeps it or replaces it by i through masks, not a branch on the result.
  size_t found = entries_.size();
  size_t count = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const int differs = CRYPTO_memcmp(entries_[i].hash.data(), hash.data(), kSha256Size);
    const size_t match = static_cast<size_t>(differs == 0);  // 1 or 0
    const size_t keep = match - 1;                           // all ones when no match
    found = (found & keep) | (i & ~keep);
    ++count;
  }
  if (compared != nullptr)
    *compared = count;
  return found < entries_.size() ? &entries_[found] : nullptr;
}

Result<TokenStore> LoadTokenStore(const std::optional<std::string>& env_value,
                                  const std::optional<std::filesystem::path>& file,
                                  std::vector<std::string>& warnings) {
  TokenStore store;
  if (env_value) {
    ASSIGN_OR_RETURN(std::vector<TokenEntry> entries, ParseTokensEnv(*env_value, warnings));
    if (entries.empty())
      return Error(Code::kInvalid, "{} is set but holds no token", kTokensEnvVar);
    RETURN_IF_ERROR(store.Add(std::move(entries)));
  }
  if (file) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(*file));
    ASSIGN_OR_RETURN(std::vector<TokenEntry> entries, ParseTokenFile(text, file->string()));
    if (entries.empty()) {
      return Error(Code::kInvalid,
                   "token file {} holds no token (add one with 'conveyor token create NAME --role "
                   "ROLE --file {}')",
                   file->string(), file->string());
    }
    RETURN_IF_ERROR(store.Add(std::move(entries)));
  }
  return store;
}

}  // namespace conveyor::serving
