#pragma once
// KV errors in the real service's wording (see shared/spec/cloudflare-storage-semantics.md §1).
#include <string>
#include <string_view>

#include "core/error.h"

namespace era::kv::errors {

inline Error key_not_found() { return Error(Code::KV_KEY_NOT_FOUND, "Key not found"); }
inline Error key_empty() { return Error(Code::KV_KEY_EMPTY, "Key names must not be empty"); }
inline Error key_illegal(std::string_view k) {
  return Error(Code::KV_KEY_ILLEGAL,
               "Illegal key name \"" + std::string(k) + "\". Please use a different name.");
}
inline Error key_not_utf8() {
  return Error(Code::KV_KEY_NOT_UTF8, "Key names must be valid UTF-8 (a Workers string cannot hold other bytes)");
}
inline Error key_too_long(size_t n) {
  return Error(Code::KV_KEY_TOO_LONG, "UTF-8 encoded length of " + std::to_string(n) +
                                          " exceeds key length limit of 512.");
}
inline Error value_too_large(size_t n) {
  return Error(Code::KV_VALUE_TOO_LARGE,
               "Value length of " + std::to_string(n) + " exceeds limit of 26214400.");
}
inline Error metadata_too_large(size_t n) {
  return Error(Code::KV_METADATA_TOO_LARGE,
               "Metadata length of " + std::to_string(n) + " exceeds limit of 1024.");
}
inline Error invalid_value() {
  return Error(Code::KV_INVALID_VALUE,
               "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and "
               "ReadableStreams as values.");
}
inline Error limit_too_small(std::string_view raw) {
  return Error(Code::KV_INVALID_LIMIT, "Invalid key_count_limit of " + std::string(raw) +
                                           ". Please specify an integer greater than 0.");
}
inline Error limit_too_large(std::string_view raw) {
  return Error(Code::KV_INVALID_LIMIT, "Invalid key_count_limit of " + std::string(raw) +
                                           ". Please specify an integer less than 1000.");
}
inline Error invalid_cursor() {
  return Error(Code::KV_INVALID_CURSOR, "Invalid cursor: pass back the cursor from the previous list");
}
inline Error ttl_not_positive(std::string_view raw) {
  return Error(Code::KV_INVALID_EXPIRATION, "Invalid expiration_ttl of " + std::string(raw) +
                                                ". Please specify integer greater than 0.");
}
inline Error ttl_too_small(std::string_view raw) {
  return Error(Code::KV_INVALID_EXPIRATION, "Invalid expiration_ttl of " + std::string(raw) +
                                                ". Expiration TTL must be at least 60.");
}
inline Error expiration_past(std::string_view raw) {
  return Error(Code::KV_INVALID_EXPIRATION,
               "Invalid expiration of " + std::string(raw) +
                   ". Please specify integer greater than the current number of seconds since "
                   "the UNIX epoch.");
}
inline Error expiration_too_soon(std::string_view raw) {
  return Error(Code::KV_INVALID_EXPIRATION,
               "Invalid expiration of " + std::string(raw) +
                   ". Expiration times must be at least 60 seconds in the future.");
}

// Not a production message (the service's bound is unknown): keeps ms arithmetic in range.
inline Error expiration_too_far(std::string_view field, std::string_view raw) {
  return Error(Code::KV_INVALID_EXPIRATION, "Invalid " + std::string(field) + " of " +
                                                std::string(raw) + ". Please specify an integer at most 9007199254740.");
}
inline Error cache_ttl_too_small(std::string_view raw) {
  return Error(Code::KV_INVALID_CACHE_TTL,
               "Invalid cache_ttl of " + std::string(raw) + ". Cache TTL must be at least 30.");
}
inline Error cache_ttl_too_large(std::string_view raw) {
  return Error(Code::KV_INVALID_CACHE_TTL, "Invalid cache_ttl of " + std::string(raw) +
                                               ". Cache TTL must be at most 9007199254740991.");
}
// `method` is PUT or DELETE, as the binding spells it ("KV PUT failed: 429 Too Many Requests").
inline Error rate_limited(std::string_view method) {
  return Error(Code::KV_RATE_LIMITED, "KV " + std::string(method) + " failed: 429 Too Many Requests");
}
inline Error invalid_location(std::string_view loc) {
  return Error(Code::KV_INVALID_LOCATION,
               "Invalid location \"" + std::string(loc.substr(0, 80)) +
                   "\" (X-Era-Location): use 1-64 printable ASCII characters");
}

}  // namespace era::kv::errors
