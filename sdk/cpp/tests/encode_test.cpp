#include <catch2/catch.hpp>

#include "base64.h"
#include "era/client.h"

using namespace era::client;

TEST_CASE("client encoding: keys keep '/' and escape everything else", "[client][encoding]") {
  CHECK(encode_key("a/b c") == "a/b%20c");
  CHECK(encode_key("q?x=1#f") == "q%3Fx%3D1%23f");
  CHECK(encode_key("100%") == "100%25");
  CHECK(encode_key("caf\xC3\xA9") == "caf%C3%A9");
  CHECK(encode_key("A-z_0.9~") == "A-z_0.9~");
  CHECK(encode_component("a/b") == "a%2Fb");
}

TEST_CASE("client encoding: base64 round-trips every byte value", "[client][encoding]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n : {0u, 1u, 2u, 3u, 4u, 255u, 256u}) {
    std::string s = all.substr(0, n);
    auto back = base64_decode(base64_encode(s));
    REQUIRE(back.has_value());
    CHECK(*back == s);
  }
  CHECK(base64_encode("hello") == "aGVsbG8=");
  CHECK_FALSE(base64_decode("a$b=").has_value());
  CHECK_FALSE(base64_decode("a").has_value());
}

TEST_CASE("client types: fault rules and ranges serialise to the wire shapes", "[client][types]") {
  FaultRule r;
  r.service = "kv";
  r.op = "get";
  r.ns = "app*";
  r.action = FaultAction::error(503, "UNAVAILABLE", "injected");
  r.times = 2;
  r.seed = 42;
  CHECK(r.to_json() == json{{"service", "kv"}, {"op", "get"}, {"namespace", "app*"},
                            {"action", {{"type", "error"}, {"status", 503}, {"code", "UNAVAILABLE"}, {"message", "injected"}}},
                            {"times", 2}, {"seed", 42}});
  CHECK(R2Range{.offset = 10, .length = 5}.header() == "bytes=10-14");
  CHECK(R2Range{.offset = 10}.header() == "bytes=10-");
  CHECK(R2Range{.suffix = 3}.header() == "bytes=-3");
}
