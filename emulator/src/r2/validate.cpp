#include "r2/validate.h"

#include "core/crypto.h"
#include "core/names.h"
#include "r2/errors.h"

namespace era::r2 {

std::optional<Error> validate_key(std::string_view key) {
  if (key.empty()) return errors::key_empty();
  if (key.size() > kMaxKeyBytes) return errors::key_too_long(key.size());
  if (!core::is_valid_utf8(key)) return errors::key_not_utf8();
  return std::nullopt;
}

std::optional<Error> validate_custom_metadata(const CustomMetadata& m) {
  size_t n = custom_metadata_bytes(m);
  if (n > kMaxCustomMetadataBytes) return errors::metadata_too_large(n);
  return std::nullopt;
}

std::optional<Error> validate_limit(int64_t limit) {
  if (limit < 1 || limit > kMaxListLimit) return errors::invalid_limit();
  return std::nullopt;
}

std::optional<Error> parse_hex_digest(std::string_view alg, std::string_view hex, size_t raw_len,
                                      std::string& out) {
  auto raw = core::from_hex(hex);
  if (!raw || raw->size() != raw_len)
    return errors::invalid_digest(std::string(alg) + " checksum").with_details(
        {{"reason", std::string(alg) + " is " + std::to_string(raw_len * 2) +
                        " hex characters, not " + std::to_string(hex.size())}});
  out = std::move(*raw);
  return std::nullopt;
}

}  // namespace era::r2
