#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <sys/random.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace era::core {

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHex[b >> 4];
    out[2 * i + 1] = kHex[b & 15];
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = val(hex[2 * i]), lo = val(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

// Both directions write straight into a buffer sized up front (no per-character append): the
// ERA R2 routes move objects of up to 128 MiB as base64.
std::string base64_encode(std::string_view in) {
  static constexpr char kAlpha[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  // Two output characters per 12 input bits: half the lookups of one per 6 bits.
  static const auto kPairs = [] {
    std::array<char, 4096 * 2> t{};
    for (int v = 0; v < 4096; ++v) {
      t[size_t(v) * 2] = kAlpha[v >> 6];
      t[size_t(v) * 2 + 1] = kAlpha[v & 63];
    }
    return t;
  }();
  std::string out((in.size() + 2) / 3 * 4, '\0');
  char* o = out.data();
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (; i + 3 <= in.size(); i += 3, o += 4) {
    uint32_t v = uint32_t(p[i]) << 16 | uint32_t(p[i + 1]) << 8 | p[i + 2];
    std::memcpy(o, &kPairs[size_t(v >> 12) * 2], 2);
    std::memcpy(o + 2, &kPairs[size_t(v & 0xFFF) * 2], 2);
  }
  if (size_t rest = in.size() - i) {
    uint32_t v = uint32_t(p[i]) << 16 | (rest == 2 ? uint32_t(p[i + 1]) << 8 : 0);
    o[0] = kAlpha[v >> 18 & 63];
    o[1] = kAlpha[v >> 12 & 63];
    o[2] = rest == 2 ? kAlpha[v >> 6 & 63] : '=';
    o[3] = '=';
  }
  return out;
}

namespace {

#if defined(__x86_64__)
// 32 characters into 24 bytes with AVX2, the range-compare form of Muła and Lemire's decoder
// ("Faster Base64 Encoding and Decoding using AVX2 Instructions", 2018). Returns how many
// characters it decoded (a multiple of 32), stopping before the first block holding anything but
// the 64 alphabet characters; the caller decodes and checks the rest one quantum at a time.
// lo <= c <= hi, per byte, as signed bytes (so bytes >= 0x80 are never in a range).
__attribute__((target("avx2"))) inline __m256i in_range(__m256i c, char lo, char hi) {
  return _mm256_and_si256(_mm256_cmpgt_epi8(c, _mm256_set1_epi8(char(lo - 1))),
                          _mm256_cmpgt_epi8(_mm256_set1_epi8(char(hi + 1)), c));
}

__attribute__((target("avx2"))) size_t base64_decode_avx2(const unsigned char* in, size_t n, char* out) {
  const __m256i pack_pairs = _mm256_set1_epi32(0x01400140);  // (a << 6) | b, (c << 6) | d
  const __m256i pack_quads = _mm256_set1_epi32(0x00011000);  // (ab << 12) | cd: 24 bits
  const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                         2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
  size_t done = 0;
  for (; done + 32 <= n; done += 32, out += 24) {
    __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + done));
    __m256i upper = in_range(c, 'A', 'Z'), lower = in_range(c, 'a', 'z'), digit = in_range(c, '0', '9');
    __m256i plus = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('+')), slash = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('/'));
    __m256i valid = _mm256_or_si256(_mm256_or_si256(upper, lower), _mm256_or_si256(digit, _mm256_or_si256(plus, slash)));
    if (static_cast<uint32_t>(_mm256_movemask_epi8(valid)) != 0xFFFFFFFFu) break;
    __m256i shift = _mm256_or_si256(
        _mm256_or_si256(_mm256_and_si256(upper, _mm256_set1_epi8(-65)), _mm256_and_si256(lower, _mm256_set1_epi8(-71))),
        _mm256_or_si256(_mm256_and_si256(digit, _mm256_set1_epi8(4)),
                        _mm256_or_si256(_mm256_and_si256(plus, _mm256_set1_epi8(19)),
                                        _mm256_and_si256(slash, _mm256_set1_epi8(16)))));
    __m256i v = _mm256_add_epi8(c, shift);  // 6-bit values
    v = _mm256_madd_epi16(_mm256_maddubs_epi16(v, pack_pairs), pack_quads);
    v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, order), lanes);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(v));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 16), _mm256_extracti128_si256(v, 1));
  }
  return done;
}

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

}  // namespace

bool base64_decode_into(std::string_view in, std::string& out) {
  static const auto kTable = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
    return t;
  }();
  // RFC 4648 §4: padding, when present, completes the last quantum (one or two '='), and
  // nothing else is padding ("====" or "QQ=" is not base64). Unpadded text is accepted.
  size_t pads = 0;
  while (!in.empty() && in.back() == '=') {
    in.remove_suffix(1);
    ++pads;
  }
  if (in.size() % 4 == 1) return false;
  if (pads > 0 && (pads > 2 || in.size() % 4 == 0 || in.size() % 4 + pads != 4)) return false;
  const size_t quads = in.size() / 4, rest = in.size() % 4;
  out.resize(quads * 3 + (rest ? rest - 1 : 0));
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  char* o = out.data();
  size_t q = 0;
#if defined(__x86_64__)
  if (have_avx2() && quads >= 8) {
    size_t n = base64_decode_avx2(p, quads * 4, o);
    q = n / 4;
    p += n;
    o += n / 4 * 3;
  }
#endif
  for (; q < quads; ++q, p += 4, o += 3) {
    int32_t a = kTable[p[0]], b = kTable[p[1]], c = kTable[p[2]], d = kTable[p[3]];
    if ((a | b | c | d) < 0) return false;
    uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6 | uint32_t(d);
    o[0] = static_cast<char>(v >> 16);
    o[1] = static_cast<char>(v >> 8 & 0xFF);
    o[2] = static_cast<char>(v & 0xFF);
  }
  if (rest) {  // 2 or 3 characters: 1 or 2 bytes
    int32_t a = kTable[p[0]], b = kTable[p[1]], c = rest == 3 ? kTable[p[2]] : 0;
    if ((a | b | c) < 0) return false;
    uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6;
    o[0] = static_cast<char>(v >> 16);
    if (rest == 3) o[1] = static_cast<char>(v >> 8 & 0xFF);
  }
  return true;
}

std::optional<std::string> base64_decode(std::string_view in) {
  std::string out;
  if (!base64_decode_into(in, out)) return std::nullopt;
  return out;
}

// The kernel's CSPRNG (getrandom(2)), not OpenSSL's: ids and keys are drawn at start-up, and
// initialising OpenSSL's providers only for that kept ~3 MiB of libcrypto resident in an idle
// emulator. OpenSSL is initialised when something first hashes, signs or encrypts.
std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw std::runtime_error("getrandom failed");
    got += size_t(r);
  }
  return out;
}

std::string random_id(size_t bytes) { return to_hex(random_bytes(bytes)); }

namespace {
const EVP_MD* md_for(Digest::Alg alg) {
  switch (alg) {
    case Digest::Alg::md5: return EVP_md5();
    case Digest::Alg::sha1: return EVP_sha1();
    case Digest::Alg::sha256: return EVP_sha256();
    case Digest::Alg::sha384: return EVP_sha384();
    case Digest::Alg::sha512: return EVP_sha512();
  }
  return EVP_sha256();
}
}  // namespace

Digest::Digest(Alg alg) : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), md_for(alg), nullptr);
}
Digest::~Digest() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Digest::update(const void* data, size_t n) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, n);
}
std::string Digest::finish() {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), buf, &n);
  return std::string(reinterpret_cast<char*>(buf), n);
}

std::string md5(std::string_view data) {
  Digest d(Digest::Alg::md5);
  d.update(data);
  return d.finish();
}
std::string sha256(std::string_view data) {
  Digest d(Digest::Alg::sha256);
  d.update(data);
  return d.finish();
}
std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), buf, &n);
  return std::string(reinterpret_cast<char*>(buf), n);
}
bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace era::core
