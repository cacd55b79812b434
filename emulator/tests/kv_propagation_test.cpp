// KV eventual consistency through HTTP: locations (X-Era-Location), propagation delay, the
// per-location edge cache (cacheTtl, negative lookups), strong namespaces, determinism.
// All on a frozen virtual clock; nothing sleeps.
#include <catch2/catch.hpp>

#include "support.h"

using namespace era::test;

namespace {

constexpr int64_t kT0 = 1'800'000'000'000;  // a whole second, frozen
constexpr int64_t kDelay = 60'000;

httplib::Headers at(const std::string& loc) { return {{"X-Era-Location", loc}}; }

void freeze(Emu& emu) { era::test::freeze(emu, kT0); }

void put(Emu& emu, const std::string& ns, const std::string& key, const std::string& value,
         const std::string& loc = "local") {
  auto r = emu.put_json("/api/storage/kv/" + ns + "/" + key, {{"value", value}}, at(loc));
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
}

void del(Emu& emu, const std::string& ns, const std::string& key, const std::string& loc) {
  auto r = emu.del("/api/storage/kv/" + ns + "/" + key, at(loc));
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

// The value a location reads, "<miss>" for a 404, or "<CODE>" for another error.
std::string read(Emu& emu, const std::string& ns, const std::string& key, const std::string& loc,
                 const std::string& query = "") {
  auto r = emu.get("/api/storage/kv/" + ns + "/" + key + query, at(loc));
  REQUIRE(r);
  json j = body_json(r);
  if (r->status == 200) return j.at("value").get<std::string>();
  if (r->status == 404) return "<miss>";
  return "<" + j.value("code", std::string("?")) + ">";
}

// Key names a location lists, space-separated.
std::string listing(Emu& emu, const std::string& ns, const std::string& loc) {
  auto r = emu.get("/api/storage/kv/" + ns + "?limit=1000", at(loc));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  std::string out;
  json body = body_json(r);  // range-for over body_json(r).at(...) would dangle
  for (const auto& k : body.at("keys")) out += (out.empty() ? "" : " ") + k.at("name").get<std::string>();
  return out;
}

}  // namespace

TEST_CASE("kv propagation: the default location sees its own writes at once", "[kv][propagation]") {
  Emu emu;
  freeze(emu);
  // What unmodified SDK code does: no X-Era-Location header on any request.
  auto r = emu.put_json("/api/storage/kv/app/k", {{"value", "v1"}});
  REQUIRE(r->status == 200);
  r = emu.get("/api/storage/kv/app/k");
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["value"] == "v1");
  emu.put_json("/api/storage/kv/app/k", {{"value", "v2"}});
  CHECK(body_json(emu.get("/api/storage/kv/app/k"))["value"] == "v2");
  CHECK(body_json(emu.get("/api/storage/kv/app"))["keys"].size() == 1);
  emu.del("/api/storage/kv/app/k");
  CHECK(emu.get("/api/storage/kv/app/k")->status == 404);
  CHECK(body_json(emu.get("/api/storage/kv/app"))["keys"].empty());
  // A miss read before the write is not cached against the writer's own location.
  CHECK(emu.get("/api/storage/kv/app/n")->status == 404);
  emu.put_json("/api/storage/kv/app/n", {{"value", "new"}});
  CHECK(body_json(emu.get("/api/storage/kv/app/n"))["value"] == "new");
}

TEST_CASE("kv propagation: a new key reaches another location exactly at the delay",
          "[kv][propagation]") {
  Emu emu;
  freeze(emu);
  put(emu, "app", "k", "v1", "a");
  CHECK(read(emu, "app", "k", "a") == "v1");
  advance(emu, kDelay - 1);
  CHECK(read(emu, "app", "k", "b1") == "<miss>");
  CHECK(listing(emu, "app", "b1") == "");
  CHECK(listing(emu, "app", "a") == "k");
  advance(emu, 1);
  CHECK(read(emu, "app", "k", "b2") == "v1");
  CHECK(listing(emu, "app", "b1") == "k");  // lists have no edge cache
  // b1 cached its miss at delay-1: it keeps it for the 60 s cacheTtl.
  CHECK(read(emu, "app", "k", "b1") == "<miss>");
}

TEST_CASE("kv propagation: an overwrite shows the previous value elsewhere until the delay",
          "[kv][propagation]") {
  Emu emu;
  freeze(emu);
  put(emu, "app", "k", "v1", "a");
  advance(emu, kDelay);
  put(emu, "app", "k", "v2", "a");
  CHECK(read(emu, "app", "k", "a") == "v2");
  advance(emu, kDelay - 1);
  CHECK(read(emu, "app", "k", "b") == "v1");
  advance(emu, 1);
  CHECK(read(emu, "app", "k", "c") == "v2");
}

TEST_CASE("kv propagation: a delete keeps the old value elsewhere until the delay",
          "[kv][propagation]") {
  Emu emu;
  freeze(emu);
  put(emu, "app", "k", "v1", "a");
  advance(emu, kDelay);
  del(emu, "app", "k", "a");
  CHECK(read(emu, "app", "k", "a") == "<miss>");
  CHECK(listing(emu, "app", "a") == "");
  advance(emu, kDelay - 1);
  CHECK(read(emu, "app", "k", "b") == "v1");
  CHECK(listing(emu, "app", "b") == "k");
  advance(emu, 1);
  CHECK(read(emu, "app", "k", "c") == "<miss>");
  CHECK(listing(emu, "app", "b") == "");
  // A third location writing again sees its own write at once.
  put(emu, "app", "k", "v3", "c");
  CHECK(read(emu, "app", "k", "c") == "v3");
}

TEST_CASE("kv edge cache: a location that read a miss keeps it for cacheTtl after propagation",
          "[kv][propagation][cache]") {
  Emu emu;
  freeze(emu);
  put(emu, "app", "k", "v", "a");
  advance(emu, 5'000);
  CHECK(read(emu, "app", "k", "b") == "<miss>");  // cached until t0+65 s
  advance(emu, kDelay - 5'000);                    // propagated now
  CHECK(read(emu, "app", "k", "c") == "v");
  CHECK(read(emu, "app", "k", "b") == "<miss>");
  advance(emu, 4'999);
  CHECK(read(emu, "app", "k", "b") == "<miss>");
  advance(emu, 1);
  CHECK(read(emu, "app", "k", "b") == "v");
}

TEST_CASE("kv edge cache: a cached value outlives a propagated overwrite for its cacheTtl",
          "[kv][propagation][cache]") {
  Emu emu;
  freeze(emu);
  put(emu, "app", "k", "v1", "a");
  advance(emu, kDelay);
  CHECK(read(emu, "app", "k", "b", "?cacheTtl=300") == "v1");  // cached until +300 s
  put(emu, "app", "k", "v2", "a");
  advance(emu, kDelay);
  CHECK(read(emu, "app", "k", "c") == "v2");
  CHECK(read(emu, "app", "k", "b", "?cacheTtl=300") == "v1");
  advance(emu, 300'000 - kDelay - 1);
  CHECK(read(emu, "app", "k", "b", "?cacheTtl=300") == "v1");
  advance(emu, 1);
  CHECK(read(emu, "app", "k", "b", "?cacheTtl=300") == "v2");
}

TEST_CASE("kv edge cache: a smaller cacheTtl shortens an existing cached entry",
          "[kv][propagation][cache]") {
  Emu emu;
  freeze(emu);
  put(emu, "app", "k", "v1", "a");
  advance(emu, kDelay);
  CHECK(read(emu, "app", "k", "b", "?cacheTtl=600") == "v1");
  put(emu, "app", "k", "v2", "a");
  advance(emu, kDelay);
  CHECK(read(emu, "app", "k", "b", "?cacheTtl=600") == "v1");
  advance(emu, 60'000);  // 120 s after b's read
  CHECK(read(emu, "app", "k", "b", "?cacheTtl=600") == "v1");
  CHECK(read(emu, "app", "k", "b", "?cache_ttl=100") == "v2");  // 120 s > 100 s: entry expired
}

TEST_CASE("kv edge cache: expiration wins over a longer cacheTtl", "[kv][propagation][cache]") {
  Emu emu;
  freeze(emu);
  int64_t exp = kT0 / 1000 + 200;
  auto r = emu.put_json("/api/storage/kv/app/k", {{"value", "v"}, {"expiration", exp}}, at("a"));
  REQUIRE(r->status == 200);
  advance(emu, kDelay);
  CHECK(read(emu, "app", "k", "b", "?cacheTtl=3600") == "v");
  advance(emu, exp * 1000 - kT0 - kDelay - 1);
  CHECK(read(emu, "app", "k", "b", "?cacheTtl=3600") == "v");
  advance(emu, 1);
  CHECK(read(emu, "app", "k", "b", "?cacheTtl=3600") == "<miss>");
}

TEST_CASE("kv get: cacheTtl below 30 is rejected with the service's wording", "[kv][cache]") {
  Emu emu;
  put(emu, "app", "k", "v");
  for (std::string q : {"cacheTtl", "cache_ttl"}) {
    auto r = emu.get("/api/storage/kv/app/k?" + q + "=29");
    REQUIRE(r->status == 400);
    json j = body_json(r);
    CHECK(j["code"] == "KV_INVALID_CACHE_TTL");
    CHECK(j["error"] == "Invalid cache_ttl of 29. Cache TTL must be at least 30.");
    CHECK(emu.get("/api/storage/kv/app/k?" + q + "=30")->status == 200);
  }
  CHECK(body_json(emu.get("/api/storage/kv/app/k?cacheTtl=abc"))["code"] == "KV_INVALID_CACHE_TTL");
  CHECK(body_json(emu.get("/api/storage/kv/app/k?cacheTtl=-5"))["code"] == "KV_INVALID_CACHE_TTL");
  CHECK(emu.get("/api/storage/kv/app/k?cacheTtl=9007199254740991")->status == 200);
  CHECK(emu.get("/api/storage/kv/app/k?cacheTtl=9007199254740992")->status == 400);
}

TEST_CASE("kv propagation: a namespace with delay 0 is strongly consistent", "[kv][propagation]") {
  Emu emu;
  freeze(emu);
  auto r = emu.send("PUT", "/_emu/kv/options/strong", R"({"propagation_delay_ms":0})");
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["effective_propagation_delay_ms"] == 0);
  CHECK(read(emu, "strong", "k", "b") == "<miss>");
  put(emu, "strong", "k", "v1", "a");
  CHECK(read(emu, "strong", "k", "b") == "v1");  // no propagation, no cached miss
  put(emu, "strong", "k", "v2", "a");
  CHECK(read(emu, "strong", "k", "b") == "v2");
  del(emu, "strong", "k", "a");
  CHECK(read(emu, "strong", "k", "b") == "<miss>");
  // Other namespaces keep the global default.
  put(emu, "other", "k", "v", "a");
  CHECK(read(emu, "other", "k", "b") == "<miss>");
  CHECK(body_json(emu.get("/_emu/kv/options/other"))["effective_propagation_delay_ms"] == kDelay);
}

TEST_CASE("kv propagation: the global delay is a setting", "[kv][propagation]") {
  Emu emu;
  freeze(emu);
  auto r = emu.send("PUT", "/_emu/kv/options", R"({"propagation_delay_ms":5000})");
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["propagation_delay_ms"] == 5000);
  put(emu, "app", "k", "v", "a");
  advance(emu, 4'999);
  CHECK(read(emu, "app", "k", "b") == "<miss>");
  advance(emu, 1);
  CHECK(read(emu, "app", "k", "c") == "v");
  CHECK(emu.send("PUT", "/_emu/kv/options", R"({"propagation_delay_ms":-1})")->status == 400);
  CHECK(body_json(emu.send("PUT", "/_emu/kv/options", R"({"rate_limit_writes":"yes"})"))["code"] ==
        "INVALID_BODY");
}

TEST_CASE("kv propagation: an invalid X-Era-Location is a clear 400", "[kv][propagation]") {
  Emu emu;
  auto r = emu.put_json("/api/storage/kv/app/k", {{"value", "v"}}, at(std::string(65, 'x')));
  REQUIRE(r->status == 400);
  CHECK(body_json(r)["code"] == "KV_INVALID_LOCATION");
  CHECK(read(emu, "app", "k", "local") == "<miss>");
  CHECK(read(emu, "app", "k", std::string(64, 'x')) == "<miss>");
}

TEST_CASE("kv propagation: the same script on fresh emulators gives the same answers",
          "[kv][propagation][determinism]") {
  auto run = [] {
    Emu emu;
    freeze(emu);
    std::vector<std::string> out;
    const char* locs[] = {"local", "eu", "us", "ap"};
    for (int step = 0; step < 60; ++step) {
      std::string loc = locs[(step * 7) % 4];
      std::string key = "k" + std::to_string(step % 4);
      switch (step % 6) {
        case 0:
        case 3: put(emu, "det", key, "v" + std::to_string(step), loc); break;
        case 1: out.push_back(loc + ":" + key + "=" + read(emu, "det", key, loc)); break;
        case 2: out.push_back(loc + ":list=" + listing(emu, "det", loc)); break;
        case 4: out.push_back(loc + ":" + key + "=" + read(emu, "det", key, loc, "?cacheTtl=45")); break;
        case 5:
          if (step % 12 == 5) del(emu, "det", key, loc);
          else out.push_back(loc + ":" + key + "=" + read(emu, "det", key, loc));
          break;
      }
      advance(emu, 7'919);  // a prime, so steps straddle the 60 s delay and cache TTLs
    }
    return out;
  };
  auto first = run();
  auto second = run();
  CHECK(first == second);
  // The script is not trivial: it saw both hits and misses.
  std::string all;
  for (auto& s : first) all += s + "\n";
  INFO(all);
  CHECK(all.find("<miss>") != std::string::npos);
  CHECK(all.find("=v") != std::string::npos);
}

TEST_CASE("kv propagation: a location keeps its own write when another overwrites it within the delay",
          "[kv][propagation]") {
  Emu emu;
  freeze(emu);
  put(emu, "app", "k", "v1", "a");  // t = 0
  advance(emu, 10'000);
  put(emu, "app", "k", "v2", "b");  // t = 10 s: v1 has not reached anyone yet
  CHECK(read(emu, "app", "k", "a") == "v1");   // a still sees its own write
  CHECK(read(emu, "app", "k", "b") == "v2");   // b sees its own
  CHECK(read(emu, "app", "k", "c1") == "<miss>");  // nothing has arrived at c yet
  advance(emu, 50'000);                        // t = 60 s: v1 arrives everywhere, v2 not yet
  CHECK(read(emu, "app", "k", "c2") == "v1");
  CHECK(read(emu, "app", "k", "b") == "v2");
  advance(emu, 10'000);                        // t = 70 s: v2 arrives
  CHECK(read(emu, "app", "k", "c3") == "v2");
  advance(emu, 1'000);  // past the 60 s cacheTtl of a's read at t = 10 s
  CHECK(read(emu, "app", "k", "a") == "v2");
  // A delete made elsewhere hides nothing from the writer of a still-travelling value either.
  put(emu, "app", "d", "mine", "a");
  advance(emu, 1'000);
  del(emu, "app", "d", "b");
  CHECK(read(emu, "app", "d", "a") == "mine");
  CHECK(read(emu, "app", "d", "b") == "<miss>");
  advance(emu, 60'000);
  CHECK(read(emu, "app", "d", "a") == "<miss>");
}
