// The optional 1 write/s/key limit (production's "KV PUT failed: 429 Too Many Requests"),
// measured on the virtual clock; off by default.
#include <catch2/catch.hpp>

#include "support.h"

using namespace era::test;

namespace {

void clock_cmd(Emu& emu, const json& body) {
  auto r = emu.post_json("/_emu/time", body);
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

int put(Emu& emu, const std::string& key, const std::string& value) {
  auto r = emu.put_json("/api/storage/kv/rl/" + key, {{"value", value}});
  REQUIRE(r);
  return r->status;
}

}  // namespace

TEST_CASE("kv rate limit: off by default", "[kv][ratelimit]") {
  Emu emu;
  clock_cmd(emu, {{"freeze", true}});
  CHECK(put(emu, "k", "1") == 200);
  CHECK(put(emu, "k", "2") == 200);
  CHECK(emu.del("/api/storage/kv/rl/k")->status == 200);
  CHECK(body_json(emu.get("/_emu/kv/options"))["rate_limit_writes"] == false);
}

TEST_CASE("kv rate limit: a second write to a key within 1 s is 429, at 1 s it passes",
          "[kv][ratelimit]") {
  Emu emu;
  clock_cmd(emu, {{"freeze", true}, {"set", 1'800'000'000'000}});
  auto r = emu.send("PUT", "/_emu/kv/options", R"({"rate_limit_writes":true})");
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["rate_limit_writes"] == true);

  CHECK(put(emu, "k", "v1") == 200);
  clock_cmd(emu, {{"advance_ms", 999}});
  r = emu.put_json("/api/storage/kv/rl/k", {{"value", "v2"}});
  REQUIRE(r->status == 429);
  json j = body_json(r);
  CHECK(j["code"] == "KV_RATE_LIMITED");
  CHECK(j["error"] == "KV PUT failed: 429 Too Many Requests");
  CHECK(body_json(emu.get("/api/storage/kv/rl/k"))["value"] == "v1");  // the rejected write did nothing
  r = emu.del("/api/storage/kv/rl/k");
  CHECK(r->status == 429);
  CHECK(body_json(r)["error"] == "KV DELETE failed: 429 Too Many Requests");
  CHECK(put(emu, "other", "x") == 200);  // per key

  clock_cmd(emu, {{"advance_ms", 1}});
  CHECK(put(emu, "k", "v3") == 200);  // 1 s after the accepted write
  CHECK(put(emu, "k", "v4") == 429);  // rejected writes do not move the window
  clock_cmd(emu, {{"advance_ms", 1000}});
  CHECK(put(emu, "k", "v5") == 200);
  CHECK(body_json(emu.get("/api/storage/kv/rl/k"))["value"] == "v5");

  // Turning it off again lifts the limit at once.
  emu.send("PUT", "/_emu/kv/options", R"({"rate_limit_writes":false})");
  CHECK(put(emu, "k", "v6") == 200);
}
