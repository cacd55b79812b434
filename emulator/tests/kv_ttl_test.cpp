// KV expiration through HTTP on the virtual clock: the exact expiry instant in get and list, the
// 60 s minimum with the service's wording, body and query forms, namespace default TTL, and the
// metadata/expiration shapes of get and list.
#include <catch2/catch.hpp>

#include "support.h"

using namespace era::test;

namespace {

constexpr int64_t kT0 = 1'800'000'000'000;
constexpr int64_t kT0s = kT0 / 1000;

void freeze(Emu& emu) { era::test::freeze(emu, kT0); }

json list_keys(Emu& emu, const std::string& ns) {
  auto r = emu.get("/api/storage/kv/" + ns + "?limit=1000");
  REQUIRE(r->status == 200);
  return body_json(r)["keys"];
}

json put_error(Emu& emu, const std::string& path, const json& body, int status = 400) {
  auto r = emu.put_json(path, body);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == status);
  return body_json(r);
}

}  // namespace

TEST_CASE("kv ttl: a key with expiration E is gone at E*1000 ms in get and list, not before",
          "[kv][ttl]") {
  Emu emu;
  freeze(emu);
  const int64_t exp = kT0s + 100;
  SECTION("expiration in the body") {
    REQUIRE(emu.put_json("/api/storage/kv/app/k", {{"value", "v"}, {"expiration", exp}})->status == 200);
  }
  SECTION("expiration as a query parameter") {
    REQUIRE(emu.put_json("/api/storage/kv/app/k?expiration=" + std::to_string(exp), {{"value", "v"}})
                ->status == 200);
  }
  SECTION("expirationTtl in the body") {
    REQUIRE(emu.put_json("/api/storage/kv/app/k", {{"value", "v"}, {"expirationTtl", 100}})->status == 200);
  }
  SECTION("expiration_ttl as a query parameter") {
    REQUIRE(emu.put_json("/api/storage/kv/app/k?expiration_ttl=100", {{"value", "v"}})->status == 200);
  }
  advance(emu, exp * 1000 - kT0 - 1);
  auto r = emu.get("/api/storage/kv/app/k?metadata=true");
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["expiration"] == exp);
  json keys = list_keys(emu, "app");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0]["expiration"] == exp);
  advance(emu, 1);
  r = emu.get("/api/storage/kv/app/k");
  CHECK(r->status == 404);
  CHECK(body_json(r)["code"] == "KV_KEY_NOT_FOUND");
  CHECK(list_keys(emu, "app").empty());
}

TEST_CASE("kv ttl: targets under 60 s are rejected with the service's wording", "[kv][ttl]") {
  Emu emu;
  freeze(emu);
  const std::string p = "/api/storage/kv/app/k";
  auto e = put_error(emu, p, {{"value", "v"}, {"expirationTtl", 59}});
  CHECK(e["code"] == "KV_INVALID_EXPIRATION");
  CHECK(e["error"] == "Invalid expiration_ttl of 59. Expiration TTL must be at least 60.");
  e = put_error(emu, p + "?expiration_ttl=1", {{"value", "v"}});
  CHECK(e["error"] == "Invalid expiration_ttl of 1. Expiration TTL must be at least 60.");
  e = put_error(emu, p, {{"value", "v"}, {"expirationTtl", 0}});
  CHECK(e["error"] == "Invalid expiration_ttl of 0. Please specify integer greater than 0.");
  std::string now = std::to_string(kT0s);
  e = put_error(emu, p, {{"value", "v"}, {"expiration", kT0s}});
  CHECK(e["error"] == "Invalid expiration of " + now +
                          ". Please specify integer greater than the current number of seconds "
                          "since the UNIX epoch.");
  std::string soon = std::to_string(kT0s + 59);
  e = put_error(emu, p + "?expiration=" + soon, {{"value", "v"}});
  CHECK(e["error"] == "Invalid expiration of " + soon +
                          ". Expiration times must be at least 60 seconds in the future.");
  CHECK(put_error(emu, p, {{"value", "v"}, {"expiration", "soon"}})["code"] == "BAD_REQUEST");
  CHECK(put_error(emu, p, {{"value", "v"}, {"expiration", 1e300}})["code"] == "INVALID_BODY");
  CHECK(put_error(emu, p, {{"value", "v"}, {"expirationTtl", 9'000'000'000'000'000'000}})["code"] ==
        "KV_INVALID_EXPIRATION");
  // Nothing was stored by any of the rejected writes.
  CHECK(emu.get(p)->status == 404);
  // Exactly 60 s is accepted in both forms.
  CHECK(emu.put_json(p, {{"value", "v"}, {"expirationTtl", 60}})->status == 200);
  CHECK(emu.put_json(p, {{"value", "v"}, {"expiration", kT0s + 60}})->status == 200);
}

TEST_CASE("kv ttl: expirationTtl wins when both are given", "[kv][ttl]") {
  Emu emu;
  freeze(emu);
  REQUIRE(emu.put_json("/api/storage/kv/app/k",
                       {{"value", "v"}, {"expiration", kT0s + 1000}, {"expirationTtl", 120}})
              ->status == 200);
  CHECK(body_json(emu.get("/api/storage/kv/app/k?metadata=true"))["expiration"] == kT0s + 120);
}

TEST_CASE("kv ttl: an overwrite without expiration clears the old one", "[kv][ttl]") {
  Emu emu;
  freeze(emu);
  emu.put_json("/api/storage/kv/app/k", {{"value", "v1"}, {"expirationTtl", 60}});
  emu.put_json("/api/storage/kv/app/k", {{"value", "v2"}});
  advance(emu, 120'000);
  auto r = emu.get("/api/storage/kv/app/k?metadata=true");
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["value"] == "v2");
  CHECK(body_json(r)["expiration"].is_null());
}

TEST_CASE("kv ttl: a namespace default TTL applies to puts without expiration", "[kv][ttl]") {
  Emu emu;
  freeze(emu);
  auto r = emu.send("PUT", "/_emu/kv/options/cache", R"({"default_ttl_s":120})");
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["default_ttl_s"] == 120);
  emu.put_json("/api/storage/kv/cache/a", {{"value", "v"}});
  emu.put_json("/api/storage/kv/cache/b", {{"value", "v"}, {"expirationTtl", 600}});
  emu.put_json("/api/storage/kv/other/a", {{"value", "v"}});
  CHECK(body_json(emu.get("/api/storage/kv/cache/a?metadata=true"))["expiration"] == kT0s + 120);
  advance(emu, 120'000);
  CHECK(emu.get("/api/storage/kv/cache/a")->status == 404);
  CHECK(emu.get("/api/storage/kv/cache/b")->status == 200);
  CHECK(emu.get("/api/storage/kv/other/a")->status == 200);
  r = emu.send("PUT", "/_emu/kv/options/cache", R"({"default_ttl_s":59})");
  CHECK(r->status == 400);
  CHECK(body_json(r)["code"] == "KV_INVALID_EXPIRATION");
  CHECK(body_json(emu.get("/_emu/kv/options/cache"))["default_ttl_s"] == 120);  // unchanged
}

TEST_CASE("kv get: ?metadata=true adds metadata and expiration, plain GET keeps {value}",
          "[kv][metadata]") {
  Emu emu;
  freeze(emu);
  json meta = {{"owner", "ann"}, {"n", 3}};
  emu.put_json("/api/storage/kv/app/m", {{"value", "v"}, {"metadata", meta}, {"expirationTtl", 300}});
  emu.put_json("/api/storage/kv/app/plain", {{"value", "p"}, {"metadata", nullptr}});
  CHECK(body_json(emu.get("/api/storage/kv/app/m")) == json{{"value", "v"}});
  CHECK(body_json(emu.get("/api/storage/kv/app/m?metadata=true")) ==
        json{{"value", "v"}, {"metadata", meta}, {"expiration", kT0s + 300}});
  CHECK(body_json(emu.get("/api/storage/kv/app/plain?metadata=true")) ==
        json{{"value", "p"}, {"metadata", nullptr}, {"expiration", nullptr}});
  // List entries carry metadata and expiration only when set.
  json keys = list_keys(emu, "app");
  REQUIRE(keys.size() == 2);
  CHECK(keys[0] == json{{"name", "m"}, {"metadata", meta}, {"expiration", kT0s + 300}});
  CHECK(keys[1] == json{{"name", "plain"}});
}
