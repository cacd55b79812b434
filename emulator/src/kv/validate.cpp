#include "kv/validate.h"

#include <expected>

#include "core/names.h"
#include "kv/errors.h"

namespace era::kv {

std::optional<Error> validate_key(std::string_view key) {
  if (key.empty()) return errors::key_empty();
  if (key == "." || key == "..") return errors::key_illegal(key);
  if (key.size() > kMaxKeyBytes) return errors::key_too_long(key.size());
  if (!core::is_valid_utf8(key)) return errors::key_not_utf8();
  return std::nullopt;
}

std::optional<Error> validate_value(std::string_view value) {
  if (value.size() > kMaxValueBytes) return errors::value_too_large(value.size());
  return std::nullopt;
}

std::optional<Error> validate_metadata(std::string_view serialized) {
  if (serialized.size() > kMaxMetadataBytes) return errors::metadata_too_large(serialized.size());
  return std::nullopt;
}

std::optional<Error> validate_limit(int64_t limit, std::string_view raw) {
  if (limit < 1) return errors::limit_too_small(raw);
  if (limit > kMaxListLimit) return errors::limit_too_large(raw);
  return std::nullopt;
}

std::optional<Error> validate_cache_ttl(int64_t ttl_s, std::string_view raw) {
  if (ttl_s < kMinCacheTtlS) return errors::cache_ttl_too_small(raw);
  if (ttl_s > kMaxCacheTtlS) return errors::cache_ttl_too_large(raw);
  return std::nullopt;
}

std::optional<Error> validate_location(std::string_view location) {
  if (location.empty() || location.size() > kMaxLocationBytes) return errors::invalid_location(location);
  for (char c : location)
    if (c < 0x21 || c > 0x7e) return errors::invalid_location(location);
  return std::nullopt;
}

std::expected<int64_t, Error> resolve_expiration(const ExpirationInput& in, int64_t now_ms) {
  const int64_t now_s = now_ms / 1000;
  if (in.ttl) {
    if (*in.ttl > kMaxExpirationS) return std::unexpected(errors::expiration_too_far("expiration_ttl", in.ttl_raw));
    if (*in.ttl <= 0) return std::unexpected(errors::ttl_not_positive(in.ttl_raw));
    if (*in.ttl < kMinExpirationTtlS) return std::unexpected(errors::ttl_too_small(in.ttl_raw));
    return now_s + *in.ttl;
  }
  if (in.expiration) {
    if (*in.expiration > kMaxExpirationS)
      return std::unexpected(errors::expiration_too_far("expiration", in.expiration_raw));
    if (*in.expiration <= now_s) return std::unexpected(errors::expiration_past(in.expiration_raw));
    if (*in.expiration < now_s + kMinExpirationTtlS)
      return std::unexpected(errors::expiration_too_soon(in.expiration_raw));
    return *in.expiration;
  }
  return 0;
}

}  // namespace era::kv
