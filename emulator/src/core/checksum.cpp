#include "core/checksum.h"

#include <array>
#include <zlib.h>

namespace era::core {
namespace {

template <typename T>
constexpr std::array<T, 256> reflected_table(T poly) {
  std::array<T, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    T c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    t[i] = c;
  }
  return t;
}

constexpr auto kCrc32c = reflected_table<uint32_t>(0x82F63B78u);             // Castagnoli
constexpr auto kCrc64Nvme = reflected_table<uint64_t>(0x9A6C9329AC4BC9B5ull);  // NVMe

}  // namespace

void Crc::update(const void* data, size_t n) {
  auto p = static_cast<const unsigned char*>(data);
  switch (alg_) {
    case Alg::crc32: {
      // zlib keeps the pre/post inversion inside; state_ holds the finished value ^ ~0.
      uLong c = static_cast<uLong>(state_ ^ 0xFFFFFFFFull);
      while (n > 0) {
        uInt step = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
        c = ::crc32(c, p, step);
        p += step;
        n -= step;
      }
      state_ = c ^ 0xFFFFFFFFull;
      break;
    }
    case Alg::crc32c: {
      uint32_t c = static_cast<uint32_t>(state_);
      for (size_t i = 0; i < n; ++i) c = kCrc32c[(c ^ p[i]) & 0xFF] ^ (c >> 8);
      state_ = c;
      break;
    }
    case Alg::crc64nvme: {
      uint64_t c = state_;
      for (size_t i = 0; i < n; ++i) c = kCrc64Nvme[(c ^ p[i]) & 0xFF] ^ (c >> 8);
      state_ = c;
      break;
    }
  }
}

std::string Crc::finish() const {
  const bool wide = alg_ == Alg::crc64nvme;
  uint64_t v = wide ? ~state_ : (~state_ & 0xFFFFFFFFull);
  std::string out(wide ? 8 : 4, '\0');
  for (size_t i = 0; i < out.size(); ++i) out[out.size() - 1 - i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}

std::optional<Crc::Alg> Crc::parse(std::string_view name) {
  std::string l;
  for (char c : name) l += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (l == "crc32") return Alg::crc32;
  if (l == "crc32c") return Alg::crc32c;
  if (l == "crc64nvme") return Alg::crc64nvme;
  return std::nullopt;
}

std::string_view Crc::name(Alg alg) {
  switch (alg) {
    case Alg::crc32: return "crc32";
    case Alg::crc32c: return "crc32c";
    case Alg::crc64nvme: return "crc64nvme";
  }
  return "?";
}

}  // namespace era::core
