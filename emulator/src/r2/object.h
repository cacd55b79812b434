#pragma once
// The R2 object model (shared/spec/cloudflare-storage-semantics.md §2.3) and its stored record.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace era::r2 {

struct HttpMetadata {
  std::optional<std::string> content_type, content_language, content_disposition,
      content_encoding, cache_control;
  std::optional<int64_t> cache_expiry_ms;
  bool empty() const {
    return !content_type && !content_language && !content_disposition && !content_encoding &&
           !cache_control && !cache_expiry_ms;
  }
};

using CustomMetadata = std::map<std::string, std::string>;

// Raw digest bytes; empty = absent.
struct Checksums {
  std::string md5, sha1, sha256, sha384, sha512;
};

struct ObjectMeta {
  std::string key;
  std::string blob;        // blob id holding the body; empty when the body is inline
  // A small plain body kept inside the record itself, with no blob file
  // (EngineOptions::inline_body_bytes).
  std::optional<std::string> inline_body;
  uint64_t size = 0;
  std::string etag;        // unquoted: MD5 hex, or "<md5-of-md5s>-<parts>" for multipart
  std::string version;     // random per upload
  int64_t uploaded_ms = 0;
  int64_t created_ms = 0;  // first time this key was written (kept across overwrites)
  uint32_t parts = 0;      // multipart part count, 0 for single PUT
  HttpMetadata http;
  CustomMetadata custom;
  Checksums checksums;
  // Encryption at rest (issue 8): the blob is a sealed body (r2/sealed_body.h) and, in the
  // stored record, http + custom metadata travel sealed in `sealed_meta` (r2/sealing.h).
  bool sealed = false;
  std::string sealed_meta;

  std::string http_etag() const { return "\"" + etag + "\""; }
};

// Record v1 (plain) or, when m.sealed, v2: the same fields with http + custom metadata replaced
// by m.sealed_meta. Objects carrying a SHA-384 or SHA-512 are written as v3 / v4 (v1 / v2 with
// those two digests after SHA-256), so records without them stay readable by older builds. A
// plain object with an inline body is v5 (v3, then the body). decode_object of a v2 record
// leaves http/custom empty until opened.
std::string encode_object(const ObjectMeta& m);  // key is not stored (it is the LMDB key)
// with_body = false (scans that only need the metadata): an inline body is checked but not
// copied — inline_body stays unset, and blob is empty as for any inline record.
std::optional<ObjectMeta> decode_object(std::string_view bytes, bool with_body = true);
// The http + custom metadata section alone (what a sealed record encrypts).
std::string encode_user_metadata(const HttpMetadata& http, const CustomMetadata& custom);
bool decode_user_metadata(std::string_view bytes, HttpMetadata& http, CustomMetadata& custom);

// JSON forms used on the wire and in the upload record. cacheExpiry is an ISO-8601 string.
nlohmann::json http_metadata_json(const HttpMetadata& h);
nlohmann::json custom_metadata_json(const CustomMetadata& c);
nlohmann::json checksums_json(const Checksums& c);  // hex strings, absent ones omitted
// Bytes that count toward the 8,192-byte custom metadata limit (sum of key and value lengths).
size_t custom_metadata_bytes(const CustomMetadata& c);

}  // namespace era::r2
