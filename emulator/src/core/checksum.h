#pragma once
// The CRC checksums S3 clients send (x-amz-checksum-crc32 / -crc32c / -crc64nvme): incremental,
// for streaming bodies. finish() gives the big-endian bytes S3 base64-encodes on the wire.
// CRC-32 runs on zlib's implementation; CRC-32C and CRC-64/NVME on byte tables (both reflected).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace era::core {

class Crc {
 public:
  enum class Alg { crc32, crc32c, crc64nvme };
  explicit Crc(Alg alg) : alg_(alg), state_(alg == Alg::crc64nvme ? ~uint64_t(0) : 0xFFFFFFFFull) {}
  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string finish() const;  // 4 bytes (crc32, crc32c) or 8 (crc64nvme), big-endian
  Alg alg() const { return alg_; }

  // "crc32" / "crc32c" / "crc64nvme" (ASCII case-insensitive).
  static std::optional<Alg> parse(std::string_view name);
  static std::string_view name(Alg alg);  // lowercase, as in x-amz-checksum-<name>

 private:
  Alg alg_;
  uint64_t state_;
};

}  // namespace era::core
