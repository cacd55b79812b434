// Input validation shared by every engine: UTF-8 keys, base64 text.
#include <catch2/catch.hpp>

#include "core/crypto.h"
#include "core/names.h"

using namespace era::core;

TEST_CASE("utf-8: well-formed text only", "[core][validation]") {
  for (std::string_view ok : {"", "plain", "Zoë", "日本語", "emoji 🙂", "\x7f", "\xF4\x8F\xBF\xBF" /* U+10FFFF */})
    CHECK(is_valid_utf8(ok));
  for (std::string_view bad : {"\xFF", "a\x80", "\xC0\xAF" /* overlong '/' */, "\xE0\x80\xAF", "\xED\xA0\x80" /* surrogate */,
                               "\xF4\x90\x80\x80" /* past U+10FFFF */, "\xE6\x97" /* cut short */, "\xF8\x88\x80\x80\x80"})
    CHECK_FALSE(is_valid_utf8(bad));
}

TEST_CASE("base64: padding completes the last quantum and nothing else", "[core][validation]") {
  CHECK(base64_decode("") == std::string());
  CHECK(base64_decode("QQ==") == std::string("A"));
  CHECK(base64_decode("QUI=") == std::string("AB"));
  CHECK(base64_decode("QUJD") == std::string("ABC"));
  CHECK(base64_decode("QQ") == std::string("A"));  // unpadded is accepted
  for (std::string_view bad : {"====", "=", "QQ=", "QQ===", "QUJD=", "QUJD====", "Q", "QUJDR", "QU*D", "QQ==QQ=="})
    CHECK_FALSE(base64_decode(bad));
}

TEST_CASE("base64: every length round-trips, RFC 4648 vectors, any bad character is refused", "[core][validation]") {
  // RFC 4648 §10.
  const std::pair<const char*, const char*> vectors[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : vectors) {
    CHECK(base64_encode(plain) == enc);
    CHECK(base64_decode(enc) == std::string(plain));
  }
  std::string bytes;
  for (int n = 0; n < 300; ++n) {
    INFO(n);
    auto enc = base64_encode(bytes);
    CHECK(enc.size() == (bytes.size() + 2) / 3 * 4);
    CHECK(base64_decode(enc) == bytes);
    bytes.push_back(static_cast<char>((n * 131 + 7) & 0xFF));
  }
  std::string enc = base64_encode(std::string(3000, '\xAB'));
  for (size_t at : {size_t(0), size_t(1), size_t(1500), enc.size() - 5}) {
    std::string broken = enc;
    broken[at] = '*';
    CHECK_FALSE(base64_decode(broken));
  }
}

TEST_CASE("base64: long text (the vector path) decodes exactly and refuses any bad byte anywhere", "[core][validation]") {
  // Past 32 characters the decoder works 32 at a time (AVX2 where the CPU has it): every
  // alphabet character in every position of a block, every length around the block edges, and
  // a bad byte at every position of the first blocks and at the edges of later ones.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  for (int r = 0; r < 33; ++r) text += alphabet.substr(r % 64) + alphabet.substr(0, r % 64);
  auto decoded = base64_decode(text);
  REQUIRE(decoded);
  CHECK(base64_encode(*decoded) == text);
  std::string bytes;
  for (size_t n = 0; n < 400; ++n) bytes.push_back(static_cast<char>((n * 197 + 11) ^ (n >> 3)));
  for (size_t n : {size_t(23), size_t(24), size_t(25), size_t(47), size_t(48), size_t(49), size_t(95), size_t(96),
                   size_t(97), size_t(191), size_t(192), size_t(193), size_t(400)}) {
    INFO(n);
    CHECK(base64_decode(base64_encode(bytes.substr(0, n))) == bytes.substr(0, n));
  }
  const std::string enc = base64_encode(bytes);  // 536 characters
  const char bad[] = {'*', '=', '-', '_', ' ', '\n', '\0', '@', '[', '`', '{', ':', '\x7f', '\x80', '\xff'};
  for (size_t at = 0; at < enc.size(); at += (at < 96 ? 1 : 31)) {
    for (char b : bad) {
      std::string broken = enc;
      broken[at] = b;
      INFO("at " << at << " byte " << int(static_cast<unsigned char>(b)));
      if (b == '=' && at >= enc.size() - 2) continue;  // padding there is legitimate-looking
      CHECK_FALSE(base64_decode(broken));
    }
  }
}
