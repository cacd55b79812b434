#pragma once
// AWS Signature Version 4 for the S3 endpoint: verification of the header form
// (Authorization: AWS4-HMAC-SHA256 …) and the presigned query form (X-Amz-Algorithm, …), and
// the signing keys the aws-chunked decoder (api/s3/chunked.h) needs for chunk and trailer
// signatures. Pure functions over api::Request: no sockets, no engines.
//
// What is checked, in order (each failure is S3's error for it):
//   form         Authorization header or X-Amz-* query parameters, one of them, well-formed
//   scope        <date>/<region>/s3/aws4_request with region auto, us-east-1 or empty (R2's aliases)
//   access key   the configured one (S3_INVALID_ACCESS_KEY)
//   expiry       presigned only: X-Amz-Date + X-Amz-Expires against the emulator's clock (virtual
//                time, so a test can expire a URL by advancing the clock); header-signed requests
//                are not checked for clock skew, because that clock may be anywhere
//   signature    recomputed from the canonical request (S3_SIGNATURE_DOES_NOT_MATCH, with the
//                canonical request and string-to-sign in the details, as S3 returns them)
// The payload itself (x-amz-content-sha256 = hex hash) is checked by the handler as it streams.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "core/result.h"

namespace era::api::s3 {

struct Credentials {
  std::string access_key = "era-emu";
  std::string secret_key = "era-emu-secret";
};

enum class Payload {
  hashed,                    // x-amz-content-sha256: <hex>; the body must hash to it
  unsigned_payload,          // UNSIGNED-PAYLOAD (and every presigned URL)
  streaming_signed,          // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  streaming_signed_trailer,  // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  streaming_unsigned_trailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

inline bool is_streaming(Payload p) {
  return p == Payload::streaming_signed || p == Payload::streaming_signed_trailer ||
         p == Payload::streaming_unsigned_trailer;
}

// What a verified request carries on to its body.
struct Auth {
  Payload payload = Payload::unsigned_payload;
  std::string content_sha256;  // Payload::hashed: the lowercase hex the body must hash to
  std::string signing_key;     // raw HMAC key derived for the request's scope
  std::string scope;           // <date>/<region>/s3/aws4_request
  std::string amz_date;        // 20261204T101500Z
  std::string seed_signature;  // hex: the previous signature of the first chunk
  bool presigned = false;
};

Result<Auth> verify(const Request& req, const Credentials& creds, int64_t now_ms);

// The building blocks, for the chunk decoder and for signers in tests and tools.
std::string uri_encode(std::string_view s, bool keep_slash);
std::string canonical_uri(std::string_view raw_path);  // each segment decoded, then encoded
// Sorted name=value pairs of a raw query string, `skip` left out.
std::string canonical_query(std::string_view raw_query, std::string_view skip = {});
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service = "s3");
std::string hex_sha256(std::string_view data);
std::string hex_hmac(std::string_view key, std::string_view data);

// Signs a request the way the AWS SDKs do (header form): returns the headers to add
// (Authorization, X-Amz-Date, X-Amz-Content-Sha256). `headers` are the other headers to sign
// (name → value; Host must be among them). Used by tests and benchmarks.
std::vector<std::pair<std::string, std::string>> sign_request(
    std::string_view method, std::string_view raw_target, std::vector<std::pair<std::string, std::string>> headers,
    std::string_view payload_hash, const Credentials& creds, std::string_view amz_date,
    std::string_view region = "auto");

}  // namespace era::api::s3
