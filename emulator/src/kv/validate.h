#pragma once
// Pure validation of KV inputs, before anything touches storage. Each returns the error to send.
#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>

#include "core/error.h"

namespace era::kv {

inline constexpr size_t kMaxKeyBytes = 512;
inline constexpr size_t kMaxValueBytes = 26214400;  // 25 MiB
inline constexpr size_t kMaxMetadataBytes = 1024;
inline constexpr int kMaxListLimit = 1000;
inline constexpr int64_t kMinExpirationTtlS = 60;
inline constexpr int64_t kMaxExpirationS = 9007199254740;  // ms form stays a safe integer
inline constexpr int64_t kMinCacheTtlS = 30;
inline constexpr int64_t kMaxCacheTtlS = 9007199254740991;  // Number.MAX_SAFE_INTEGER
inline constexpr size_t kMaxLocationBytes = 64;

std::optional<Error> validate_key(std::string_view key);
std::optional<Error> validate_value(std::string_view value);
std::optional<Error> validate_metadata(std::string_view serialized);
// `raw` is the text the client sent, quoted back in the error.
std::optional<Error> validate_limit(int64_t limit, std::string_view raw);
std::optional<Error> validate_cache_ttl(int64_t ttl_s, std::string_view raw);
// A location names an edge (X-Era-Location): 1-64 printable ASCII bytes.
std::optional<Error> validate_location(std::string_view location);

// Resolves expiration (absolute s) / expirationTtl (relative s) against now into an absolute
// expiration in seconds (0 = none). TTL wins when both are given, as the REST API does.
struct ExpirationInput {
  std::optional<int64_t> expiration;
  std::string expiration_raw;
  std::optional<int64_t> ttl;
  std::string ttl_raw;
};
std::expected<int64_t, Error> resolve_expiration(const ExpirationInput& in, int64_t now_ms);

}  // namespace era::kv
