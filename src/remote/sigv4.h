// AWS Signature Version 4: signs an HTTP request for S3 (and any other AWS
// style service) with HMAC-SHA256, computed here over OpenSSL.
//
// The caller describes the request in decoded form (SignableRequest); the
// signer encodes the path and query itself and hands back the exact wire forms
// it signed (SignedRequest::path and ::query), so what is sent and what is
// signed cannot drift apart. Intermediate products (canonical request, string
// to sign) are returned too: tests compare them with AWS's published vectors,
// and a 403 from a server can be debugged by printing them.
//
// Thread safety: free functions over values; no shared state.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/sha256.h"
#include "common/status.h"

namespace conveyor {

// The SHA-256 of an empty body, in hex: the payload hash of every GET.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// Payload hash S3 accepts in place of a digest (presigned URLs, streaming).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct SignableRequest {
  std::string method = "GET";
  // The decoded path, starting with '/': "/bucket/my file.txt", not
  // "/bucket/my%20file.txt". Each segment is percent-encoded by the signer.
  // Empty means "/".
  std::string path;
  // Decoded query parameters in any order; repeated keys allowed. Sent and
  // signed as the sorted, encoded SignedRequest::query.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers in the order they will be sent; names in any case, repeated names
  // allowed (their values are joined with ',' in the signature). Must include
  // Host. Every header given is signed.
  std::vector<std::pair<std::string, std::string>> headers;
  // Hex SHA-256 of the body, or kUnsignedPayload. When empty, the signer
  // hashes `body`.
  std::string payload_hash;
  // The body; only read when payload_hash is empty.
  std::string body;
};

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  // Empty unless the credentials are temporary (STS); then it is sent as
  // X-Amz-Security-Token.
  std::string session_token;
};

struct SigningScope {
  std::string region = "us-east-1";
  std::string service = "s3";
  // The signing time; x-amz-date is derived from it. Sub-second parts are
  // dropped.
  std::chrono::system_clock::time_point time;
};

// How a service wants its canonical request built. Defaults are the rules for
// AWS services in general; ForS3() gives the S3 exceptions.
struct SigningOptions {
  // Remove "." and ".." segments and collapse repeated slashes before
  // encoding. S3 keys are taken literally (false).
  bool normalize_path = true;
  // Percent-encode the already-encoded path a second time in the canonical
  // URI (so "%20" is signed as "%2520"). S3 signs the path encoded once
  // (false).
  bool double_encode_path = true;
  // Add and sign x-amz-content-sha256 with the payload hash (S3 requires it).
  bool add_content_sha256_header = false;
  // Sign x-amz-security-token (true), or add it after signing (false), which
  // a few services expect. Only matters when a session token is given.
  bool sign_session_token = true;

  static SigningOptions ForS3() {
    return {.normalize_path = false,
            .double_encode_path = false,
            .add_content_sha256_header = true,
            .sign_session_token = true};
  }
};

struct SignedRequest {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;       // 64 hex digits
  std::string signed_headers;  // "host;x-amz-date"
  // The Authorization header's value.
  std::string authorization;
  // What to put on the wire: the encoded path and query string (no '?').
  std::string path;
  std::string query;
  // Headers the caller must add to the request, in this order: those of
  // x-amz-date, x-amz-content-sha256 and x-amz-security-token the request did
  // not already carry, then Authorization.
  std::vector<std::pair<std::string, std::string>> headers_to_add;
};

// Signs `request` for the Authorization header. Errors (kInvalid) name the
// field at fault: no Host header, an empty access key, an x-amz-date header
// that disagrees with `scope.time`.
Result<SignedRequest> SignRequest(const SignableRequest& request, const AwsCredentials& credentials,
                                  const SigningScope& scope, const SigningOptions& options);

// Signs `request` in its query string instead (a presigned URL, valid for
// `expires_in`, 1 s to 7 days). The X-Amz-* parameters are added to the
// query; SignedRequest::query then ends with "&X-Amz-Signature=..." and
// `authorization` and `headers_to_add` are empty. The payload is not signed
// (kUnsignedPayload) unless request.payload_hash says otherwise.
Result<SignedRequest> PresignRequest(const SignableRequest& request,
                                     const AwsCredentials& credentials, const SigningScope& scope,
                                     std::chrono::seconds expires_in,
                                     const SigningOptions& options);

// Percent-encodes every byte except A-Z a-z 0-9 - . _ ~ (and '/' when
// `keep_slash`), with upper-case hex digits, as SigV4 requires.
std::string AwsUriEncode(std::string_view text, bool keep_slash);

// "20150830T123600Z" for `time` in UTC.
std::string FormatAmzDate(std::chrono::system_clock::time_point time);

// Sha256Hex (lower-case hex SHA-256) comes from common/sha256.h.

// Raw (32-byte) HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace conveyor
