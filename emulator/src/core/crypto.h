#pragma once
// Hashes, encodings and randomness (OpenSSL underneath). Pure functions, thread-safe.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace era::core {

std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);

std::string base64_encode(std::string_view bytes);
// Standard alphabet, padding optional, whitespace not allowed. nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);
// The same, into `out` (resized; its capacity is reused, so a caller can keep one buffer across
// requests and skip the page faults of a fresh multi-megabyte allocation). False on bad input.
bool base64_decode_into(std::string_view text, std::string& out);

std::string random_bytes(size_t n);
std::string random_id(size_t bytes = 16);  // hex

// Incremental digests for streaming bodies.
class Digest {
 public:
  enum class Alg { md5, sha1, sha256, sha384, sha512 };
  explicit Digest(Alg alg);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string finish();  // raw bytes
 private:
  void* ctx_;
};

std::string md5(std::string_view data);     // raw 16 bytes
std::string sha256(std::string_view data);  // raw 32 bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace era::core
