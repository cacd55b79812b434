#include "core/aead.h"

#include <catch2/catch.hpp>

#include "core/crypto.h"

using namespace era;
using namespace era::core;
using namespace std::literals;

TEST_CASE("aead: round trip, fresh nonce, overhead", "[core][encryption]") {
  Aead a(std::string(32, 'k'));
  for (size_t n : {size_t(0), size_t(1), size_t(15), size_t(16), size_t(65536), size_t(100001)}) {
    std::string pt = random_bytes(n);
    std::string s1 = a.seal(pt, "ad");
    std::string s2 = a.seal(pt, "ad");
    CHECK(s1.size() == n + Aead::kOverhead);
    CHECK(s1 != s2);  // a fresh random nonce each time
    auto back = a.open(s1, "ad");
    REQUIRE(back);
    CHECK(*back == pt);
  }
}

TEST_CASE("aead: tamper, wrong ad, wrong key and truncation are errors", "[core][encryption]") {
  Aead a(std::string(32, 'k'));
  std::string s = a.seal("the quick brown fox", "kv\0ns\0key"sv);
  for (size_t i = 0; i < s.size(); ++i) {
    std::string t = s;
    t[i] ^= 0x01;
    auto r = a.open(t, "kv\0ns\0key"sv);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Code::DATA_CORRUPTED);
  }
  CHECK_FALSE(a.open(s, "kv\0ns\0other"sv));
  CHECK_FALSE(Aead(std::string(32, 'j')).open(s, "kv\0ns\0key"sv));
  CHECK_FALSE(a.open(s.substr(0, s.size() - 1), "kv\0ns\0key"sv));
  CHECK_FALSE(a.open(s.substr(0, 10), "kv\0ns\0key"sv));
  CHECK_FALSE(a.open("", "kv\0ns\0key"sv));
  CHECK_THROWS_AS(Aead(std::string(16, 'k')), std::logic_error);
}

TEST_CASE("aead: HKDF-SHA256 matches RFC 5869 test case 1", "[core][encryption]") {
  std::string ikm(22, '\x0b');
  std::string salt = *from_hex("000102030405060708090a0b0c");
  std::string info = *from_hex("f0f1f2f3f4f5f6f7f8f9");
  CHECK(to_hex(hkdf_sha256(ikm, salt, info, 42)) ==
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  // Salt and info separate keys.
  CHECK(hkdf_sha256("secret", "salt1", "kv\0a"sv, 32) != hkdf_sha256("secret", "salt2", "kv\0a"sv, 32));
  CHECK(hkdf_sha256("secret", "salt1", "kv\0a"sv, 32) != hkdf_sha256("secret", "salt1", "kv\0b"sv, 32));
}
