#include "remote/sigv4.h"

#include <fmt/core.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <map>

namespace conveyor {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr char kHexDigits[] = "0123456789abcdef";

std::string ToHex(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex += kHexDigits[c >> 4];
    hex += kHexDigits[c & 0xf];
  }
  return hex;
}

std::string ToLower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// Trims surrounding whitespace and turns every run of spaces inside into one.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space)
      out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Drops "." segments and empty segments, resolves "..", and keeps a trailing
// slash when the input had one: "//a/./b/../" -> "/a/".
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos)
      slash = path.size();
    std::string_view segment = path.substr(start, slash - start);
    if (segment == "..") {
      if (!segments.empty())
        segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = slash + 1;
  }
  std::string out;
  for (std::string_view segment : segments) {
    out += '/';
    out += segment;
  }
  if (out.empty())
    return "/";
  if (path.back() == '/')
    out += '/';
  return out;
}

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [key, value] : query)
    encoded.emplace_back(AwsUriEncode(key, false), AwsUriEncode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [key, value] : encoded) {
    if (!out.empty())
      out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

bool HasHeader(const std::vector<std::pair<std::string, std::string>>& headers,
               std::string_view lower_name, std::string* value) {
  for (const auto& [name, v] : headers) {
    if (ToLower(name) == lower_name) {
      *value = v;
      return true;
    }
  }
  return false;
}

struct Prepared {
  std::string amz_date;
  std::string scope;  // "20150830/us-east-1/service/aws4_request"
  std::string payload_hash;
  std::vector<std::pair<std::string, std::string>> headers;  // all headers to sign
  std::vector<std::pair<std::string, std::string>> added;    // of those, ones we added
};

Result<Prepared> Prepare(const SignableRequest& request, const AwsCredentials& credentials,
                         const SigningScope& scope, const SigningOptions& options,
                         bool header_auth) {
  if (credentials.access_key_id.empty())
    return Error(Code::kInvalid, "cannot sign request: the access key id is empty");
  if (credentials.secret_access_key.empty())
    return Error(Code::kInvalid, "cannot sign request: the secret access key is empty");
  if (scope.region.empty() || scope.service.empty())
    return Error(Code::kInvalid, "cannot sign request: the region and service must be set");
  if (request.method.empty())
    return Error(Code::kInvalid, "cannot sign request: the method is empty");
  Prepared prepared;
  prepared.amz_date = FormatAmzDate(scope.time);
  prepared.scope = fmt::format("{}/{}/{}/aws4_request", prepared.amz_date.substr(0, 8),
                               scope.region, scope.service);
  prepared.payload_hash =
      request.payload_hash.empty() ? Sha256Hex(request.body) : request.payload_hash;
  prepared.headers = request.headers;

  std::string existing;
  if (!HasHeader(request.headers, "host", &existing) || existing.empty())
    return Error(Code::kInvalid, "cannot sign request: it has no Host header");
  // Adds header `name` with `value` unless present; a present one must agree.
  auto require = [&](std::string_view name, const std::string& value) -> Status {
    if (HasHeader(request.headers, name, &existing)) {
      if (CanonicalHeaderValue(existing) != value) {
        return Error(Code::kInvalid, "cannot sign request: header {} is '{}' but should be '{}'",
                     name, existing, value);
      }
      return OkStatus();
    }
    prepared.headers.emplace_back(name, value);
    prepared.added.emplace_back(name, value);
    return OkStatus();
  };
  if (header_auth) {
    RETURN_IF_ERROR(require("x-amz-date", prepared.amz_date));
    if (options.add_content_sha256_header)
      RETURN_IF_ERROR(require("x-amz-content-sha256", prepared.payload_hash));
    if (!credentials.session_token.empty() && options.sign_session_token)
      RETURN_IF_ERROR(require("x-amz-security-token", credentials.session_token));
  }
  return prepared;
}

struct Canonical {
  std::string request;
  std::string signed_headers;
  std::string path;
  std::string query;
};

Canonical BuildCanonical(const SignableRequest& request,
                         const std::vector<std::pair<std::string, std::string>>& query,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         const std::string& payload_hash, const SigningOptions& options) {
  Canonical canonical;
  std::string path = request.path.empty() ? std::string("/") : request.path;
  if (options.normalize_path)
    path = NormalizePath(path);
  canonical.path = AwsUriEncode(path, true);
  std::string canonical_uri =
      options.double_encode_path ? AwsUriEncode(canonical.path, true) : canonical.path;
  canonical.query = CanonicalQuery(query);

  // Lower-case names, values trimmed, repeated names joined in send order;
  // std::map sorts by name.
  std::map<std::string, std::vector<std::string>> merged;
  for (const auto& [name, value] : headers)
    merged[ToLower(name)].push_back(CanonicalHeaderValue(value));
  std::string header_block;
  for (const auto& [name, values] : merged) {
    header_block += name + ':';
    for (size_t i = 0; i < values.size(); ++i)
      header_block += (i == 0 ? "" : ",") + values[i];
    header_block += '\n';
    if (!canonical.signed_headers.empty())
      canonical.signed_headers += ';';
    canonical.signed_headers += name;
  }
  canonical.request =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method, canonical_uri, canonical.query,
                  header_block, canonical.signed_headers, payload_hash);
  return canonical;
}

// The string to sign and the signature over it.
std::pair<std::string, std::string> Sign(const std::string& canonical_request,
                                         const Prepared& prepared,
                                         const AwsCredentials& credentials,
                                         const SigningScope& scope) {
  std::string string_to_sign = fmt::format("{}\n{}\n{}\n{}", kAlgorithm, prepared.amz_date,
                                           prepared.scope, Sha256Hex(canonical_request));
  const std::string secret = "AWS4" + credentials.secret_access_key;
  const std::string date_key = HmacSha256(secret, std::string_view(prepared.amz_date).substr(0, 8));
  const std::string region_key = HmacSha256(date_key, scope.region);
  const std::string service_key = HmacSha256(region_key, scope.service);
  const std::string signing_key = HmacSha256(service_key, "aws4_request");
  return {string_to_sign, ToHex(HmacSha256(signing_key, string_to_sign))};
}

}  // namespace

std::string AwsUriEncode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += "0123456789ABCDEF"[c >> 4];
      out += "0123456789ABCDEF"[c & 0xf];
    }
  }
  return out;
}

std::string FormatAmzDate(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
  return buffer;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // cppcheck 2.10 takes `key` for a view of a caller's expired local (it is
  // alive for the whole call).
  // cppcheck-suppress invalidLifetime
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &size);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

Result<SignedRequest> SignRequest(const SignableRequest& request, const AwsCredentials& credentials,
                                  const SigningScope& scope, const SigningOptions& options) {
  ASSIGN_OR_RETURN(Prepared prepared, Prepare(request, credentials, scope, options, true));
  Canonical canonical =
      BuildCanonical(request, request.query, prepared.headers, prepared.payload_hash, options);
  SignedRequest signed_request;
  signed_request.canonical_request = canonical.request;
  std::tie(signed_request.string_to_sign, signed_request.signature) =
      Sign(canonical.request, prepared, credentials, scope);
  signed_request.signed_headers = canonical.signed_headers;
  signed_request.authorization = fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}",
                                             kAlgorithm, credentials.access_key_id, prepared.scope,
                                             canonical.signed_headers, signed_request.signature);
  signed_request.path = canonical.path;
  signed_request.query = canonical.query;
  signed_request.headers_to_add = prepared.added;
  if (!credentials.session_token.empty() && !options.sign_session_token)
    signed_request.headers_to_add.emplace_back("x-amz-security-token", credentials.session_token);
  signed_request.headers_to_add.emplace_back("Authorization", signed_request.authorization);
  return signed_request;
}

Result<SignedRequest> PresignRequest(const SignableRequest& request,
                                     const AwsCredentials& credentials, const SigningScope& scope,
                                     std::chrono::seconds expires_in,
                                     const SigningOptions& options) {
  if (expires_in.count() < 1 || expires_in.count() > int64_t{7} * 24 * 3600) {
    return Error(Code::kInvalid,
                 "cannot presign request: expiry must be between 1 s and 7 days, not {} s",
                 expires_in.count());
  }
  SignableRequest unsigned_payload = request;
  if (unsigned_payload.payload_hash.empty())
    unsigned_payload.payload_hash = kUnsignedPayload;
  ASSIGN_OR_RETURN(Prepared prepared,
                   Prepare(unsigned_payload, credentials, scope, options, false));
  // The signed-headers list goes into the query, so it is computed first.
  Canonical headers_only =
      BuildCanonical(unsigned_payload, {}, prepared.headers, prepared.payload_hash, options);
  std::vector<std::pair<std::string, std::string>> query = request.query;
  query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  query.emplace_back("X-Amz-Credential", credentials.access_key_id + "/" + prepared.scope);
  query.emplace_back("X-Amz-Date", prepared.amz_date);
  query.emplace_back("X-Amz-Expires", std::to_string(expires_in.count()));
  if (!credentials.session_token.empty())
    query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  query.emplace_back("X-Amz-SignedHeaders", headers_only.signed_headers);
  Canonical canonical =
      BuildCanonical(unsigned_payload, query, prepared.headers, prepared.payload_hash, options);

  SignedRequest signed_request;
  signed_request.canonical_request = canonical.request;
  std::tie(signed_request.string_to_sign, signed_request.signature) =
      Sign(canonical.request, prepared, credentials, scope);
  signed_request.signed_headers = canonical.signed_headers;
  signed_request.path = canonical.path;
  signed_request.query = canonical.query + "&X-Amz-Signature=" + signed_request.signature;
  return signed_request;
}

}  // namespace conveyor
