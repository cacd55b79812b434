#pragma once
// Pure validation of R2 inputs, before anything touches storage. Each returns the error to send.
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "r2/object.h"

namespace era::r2 {

inline constexpr size_t kMaxKeyBytes = 1024;
inline constexpr size_t kMaxCustomMetadataBytes = 8192;
inline constexpr int kMaxListLimit = 1000;
inline constexpr uint32_t kMaxParts = 10000;

// Keys are opaque bytes: "../../etc/passwd" is a valid key (it never names a file).
std::optional<Error> validate_key(std::string_view key);
std::optional<Error> validate_custom_metadata(const CustomMetadata& m);
std::optional<Error> validate_limit(int64_t limit);
// Hex digest of the given raw length (md5 16, sha1 20, sha256 32) → raw bytes, or the error.
std::optional<Error> parse_hex_digest(std::string_view alg, std::string_view hex, size_t raw_len,
                                      std::string& out);

}  // namespace era::r2
