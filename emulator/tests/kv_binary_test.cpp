// The binary KV route (/api/kv/{ns}/{key}): what a Workers KVNamespace needs and the ERA JSON
// route cannot carry — any bytes as a value, metadata in a header, cacheStatus, bulk get of up to
// 100 keys — over the same engine (propagation, TTLs, edge cache). All on a frozen virtual clock.
#include <catch2/catch.hpp>

#include "support.h"

using namespace era::test;

namespace {

constexpr int64_t kT0 = 1'800'000'000'000;

httplib::Headers at(const std::string& loc) { return {{"X-Era-Location", loc}}; }

std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

}  // namespace

TEST_CASE("kv binary: any bytes round-trip, metadata and expiration travel in headers", "[kv][binary]") {
  Emu emu;
  freeze(emu, kT0);
  const std::string bytes = all_bytes();
  auto r = emu.put_raw("/api/kv/app/blob?expiration_ttl=120", bytes, "application/octet-stream",
                       {{"X-Era-KV-Metadata", R"({"owner":"Zo\u00eb","n":1})"}});
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["success"] == true);
  auto g = emu.get("/api/kv/app/blob");
  REQUIRE(g->status == 200);
  CHECK(g->body == bytes);
  CHECK(g->get_header_value("Content-Type") == "application/octet-stream");
  CHECK(json::parse(g->get_header_value("X-Era-KV-Metadata")) == json({{"owner", "Zoë"}, {"n", 1}}));
  CHECK(g->get_header_value("X-Era-KV-Expiration") == std::to_string(kT0 / 1000 + 120));
  // The ERA JSON route lists the same key with the same metadata.
  json list = body_json(emu.get("/api/storage/kv/app"));
  REQUIRE(list["keys"].size() == 1);
  CHECK(list["keys"][0]["metadata"]["owner"] == "Zoë");
  // The TTL runs on the virtual clock.
  advance(emu, 120'000);
  CHECK(emu.get("/api/kv/app/blob")->status == 404);
  // A value without metadata or expiration carries neither header; an empty value is a value.
  REQUIRE(emu.put_raw("/api/kv/app/empty", "")->status == 200);
  g = emu.get("/api/kv/app/empty");
  REQUIRE(g->status == 200);
  CHECK(g->body.empty());
  CHECK(!g->has_header("X-Era-KV-Metadata"));
  CHECK(!g->has_header("X-Era-KV-Expiration"));
  REQUIRE(emu.del("/api/kv/app/empty")->status == 200);
  json miss = body_json(emu.get("/api/kv/app/empty"));
  CHECK(miss["code"] == "KV_KEY_NOT_FOUND");
}

TEST_CASE("kv binary: bad input is refused with the KV error and stores nothing", "[kv][binary]") {
  Emu emu;
  freeze(emu, kT0);
  auto r = emu.put_raw("/api/kv/app/k?expiration_ttl=30", "v");
  CHECK(r->status == 400);
  CHECK(body_json(r)["code"] == "KV_INVALID_EXPIRATION");
  r = emu.put_raw("/api/kv/app/k", "v", "application/octet-stream", {{"X-Era-KV-Metadata", "{nope"}});
  CHECK(r->status == 400);
  CHECK(body_json(r)["code"] == "INVALID_JSON");
  r = emu.put_raw("/api/kv/app/k", "v", "application/octet-stream",
                  {{"X-Era-KV-Metadata", "\"" + std::string(1100, 'm') + "\""}});
  CHECK(r->status == 413);
  CHECK(body_json(r)["code"] == "KV_METADATA_TOO_LARGE");
  r = emu.put_raw("/api/kv/app/k", std::string((25 << 20) + 1, 'x'));
  CHECK(r->status == 413);
  CHECK(body_json(r)["code"] == "KV_VALUE_TOO_LARGE");
  r = emu.put_raw("/api/kv/app/" + std::string(513, 'k'), "v");
  CHECK(r->status == 414);
  CHECK(emu.get("/api/kv/app/k")->status == 404);
}

TEST_CASE("kv binary: cacheStatus tells an edge-cache hit from a read-through", "[kv][binary]") {
  Emu emu;
  freeze(emu, kT0);
  REQUIRE(emu.put_raw("/api/kv/app/k", "v1")->status == 200);
  auto g = emu.get("/api/kv/app/k");
  CHECK(g->get_header_value("X-Era-KV-Cache-Status") == "MISS");
  g = emu.get("/api/kv/app/k");
  CHECK(g->get_header_value("X-Era-KV-Cache-Status") == "HIT");
  // Another location reads through once, then hits; it cannot see an unpropagated write.
  CHECK(emu.get("/api/kv/app/k", at("ams"))->status == 404);
  // A strongly consistent namespace has no edge cache: no status.
  REQUIRE(emu.put_json("/_emu/kv/options/strong", {{"propagation_delay_ms", 0}})->status == 200);
  REQUIRE(emu.put_raw("/api/kv/strong/k", "v")->status == 200);
  CHECK(!emu.get("/api/kv/strong/k")->has_header("X-Era-KV-Cache-Status"));
}

TEST_CASE("kv binary: bulk get reads up to 100 keys in one call", "[kv][binary]") {
  Emu emu;
  freeze(emu, kT0);
  REQUIRE(emu.put_raw("/api/kv/app/a", "alpha")->status == 200);
  REQUIRE(emu.put_raw("/api/kv/app/j?expiration_ttl=60", R"({"x":1})", "application/octet-stream",
                      {{"X-Era-KV-Metadata", R"({"m":true})"}})->status == 200);
  REQUIRE(emu.put_raw("/api/kv/app/bin", std::string("\xff\xfe", 2))->status == 200);
  auto r = emu.post_json("/api/kv/app", {{"keys", {"a", "j", "missing", "bin"}}});
  REQUIRE(r->status == 200);
  json v = body_json(r);
  CHECK(v["a"] == "alpha");
  CHECK(v["j"] == R"({"x":1})");
  CHECK(v["missing"].is_null());
  CHECK(v["bin"] == "\xef\xbf\xbd\xef\xbf\xbd");  // not UTF-8: U+FFFD each, as text decoding does
  CHECK(v.size() == 4);

  r = emu.post_json("/api/kv/app", {{"keys", {"j", "missing"}}, {"withMetadata", true}, {"cacheTtl", 300}});
  REQUIRE(r->status == 200);
  v = body_json(r);
  CHECK(v["j"]["value"] == R"({"x":1})");
  CHECK(v["j"]["metadata"] == json({{"m", true}}));
  CHECK(v["j"]["expiration"] == kT0 / 1000 + 60);
  CHECK(v["missing"].is_null());

  json many = json::array();
  for (int i = 0; i < 101; ++i) many.push_back("k" + std::to_string(i));
  r = emu.post_json("/api/kv/app", {{"keys", many}});
  CHECK(r->status == 400);
  CHECK(body_json(r)["max_keys"] == 100);
  CHECK(emu.post_json("/api/kv/app", {{"keys", json::array()}})->status == 400);
  CHECK(emu.post_json("/api/kv/app", {{"keys", {1, 2}}})->status == 400);
  CHECK(emu.post_json("/api/kv/app", {{"keys", {"a"}}, {"cacheTtl", 5}})->status == 400);
  CHECK(body_json(emu.post_json("/api/kv/app", {{"keys", {""}}}))["code"] == "KV_KEY_EMPTY");
}

TEST_CASE("kv binary: list pages 1000 keys by default", "[kv][binary]") {
  Emu emu;
  for (int i = 0; i < 150; ++i)
    REQUIRE(emu.put_raw("/api/kv/app/k" + std::to_string(1000 + i), "v")->status == 200);
  json l = body_json(emu.get("/api/kv/app"));
  CHECK(l["keys"].size() == 150);
  CHECK(l["list_complete"] == true);
  l = body_json(emu.get("/api/storage/kv/app"));  // the ERA route keeps the proxy's 100
  CHECK(l["keys"].size() == 100);
  l = body_json(emu.get("/api/kv/app?prefix=k11&limit=5"));
  CHECK(l["keys"].size() == 5);
  CHECK(l["list_complete"] == false);
}
