// KV limits through HTTP, at the boundaries, with the service's wording; a rejected write never
// disturbs what was stored.
#include <catch2/catch.hpp>

#include "support.h"

using namespace era::test;

namespace {

std::string kv_path(const std::string& key) { return "/api/storage/kv/lim/" + enc(key); }

std::string utf8_e(size_t n) {  // n copies of "é" (2 bytes each)
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "\xC3\xA9";
  return s;
}

}  // namespace

TEST_CASE("kv limits: keys of 511 and 512 bytes work, 513 is rejected on every method",
          "[kv][limits]") {
  Emu emu;
  for (std::string key : {std::string(511, 'k'), std::string(512, 'k'), utf8_e(256)}) {
    INFO(key.size());
    REQUIRE(emu.put_json(kv_path(key), {{"value", "v"}})->status == 200);
    CHECK(body_json(emu.get(kv_path(key)))["value"] == "v");
  }
  for (std::string key : {std::string(513, 'k'), utf8_e(256) + "k"}) {
    for (std::string method : {"GET", "PUT", "DELETE"}) {
      INFO(method);
      auto r = emu.send(method, kv_path(key), method == "PUT" ? R"({"value":"v"})" : "");
      REQUIRE(r);
      CHECK(r->status == 414);
      json j = body_json(r);
      CHECK(j["code"] == "KV_KEY_TOO_LONG");
      CHECK(j["error"] == "UTF-8 encoded length of 513 exceeds key length limit of 512.");
    }
  }
  // The 512-byte key is still there and intact; the list shows exactly the accepted keys.
  auto r = emu.get("/api/storage/kv/lim");
  CHECK(body_json(r)["keys"].size() == 3);
}

TEST_CASE("kv limits: '.' and '..' are illegal key names", "[kv][limits]") {
  Emu emu;
  for (std::string path : {"/api/storage/kv/lim/%2E", "/api/storage/kv/lim/%2E%2E"}) {
    auto r = emu.put_json(path, {{"value", "v"}});
    REQUIRE(r);
    INFO(path << " " << r->body);
    CHECK(r->status == 400);
    CHECK(body_json(r)["code"] == "KV_KEY_ILLEGAL");
  }
  auto r = emu.put_json("/api/storage/kv/lim/%2E", {{"value", "v"}});
  CHECK(body_json(r)["error"] == "Illegal key name \".\". Please use a different name.");
  // Names that merely contain dots are ordinary keys.
  CHECK(emu.put_json("/api/storage/kv/lim/...", {{"value", "v"}})->status == 200);
  CHECK(emu.put_json("/api/storage/kv/lim/.x", {{"value", "v"}})->status == 200);
}

TEST_CASE("kv limits: a value of exactly 25 MiB is stored, one byte more is 413", "[kv][limits][big]") {
  Emu emu;
  REQUIRE(emu.put_json(kv_path("big"), {{"value", "old"}})->status == 200);
  std::string over(26214401, 'x');
  auto r = emu.put_json(kv_path("big"), {{"value", over}});
  REQUIRE(r->status == 413);
  json j = body_json(r);
  CHECK(j["code"] == "KV_VALUE_TOO_LARGE");
  CHECK(j["error"] == "Value length of 26214401 exceeds limit of 26214400.");
  CHECK(body_json(emu.get(kv_path("big")))["value"] == "old");
  over.pop_back();
  REQUIRE(emu.put_json(kv_path("big"), {{"value", over}})->status == 200);
  r = emu.get(kv_path("big"));
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["value"].get_ref<const std::string&>().size() == 26214400);
}

TEST_CASE("kv limits: metadata of 1024 serialized bytes is stored, 1025 is 413", "[kv][limits]") {
  Emu emu;
  // {"m":"<n x>"} serializes to n + 8 bytes.
  json ok = {{"m", std::string(1016, 'x')}};
  json over = {{"m", std::string(1017, 'x')}};
  REQUIRE(ok.dump().size() == 1024);
  REQUIRE(emu.put_json(kv_path("m"), {{"value", "v1"}, {"metadata", ok}})->status == 200);
  auto r = emu.put_json(kv_path("m"), {{"value", "v2"}, {"metadata", over}});
  REQUIRE(r->status == 413);
  CHECK(body_json(r)["code"] == "KV_METADATA_TOO_LARGE");
  CHECK(body_json(r)["error"] == "Metadata length of 1025 exceeds limit of 1024.");
  json got = body_json(emu.get(kv_path("m") + "?metadata=true"));
  CHECK(got["value"] == "v1");
  CHECK(got["metadata"] == ok);
}

TEST_CASE("kv limits: list limit 1..1000 and prefix length", "[kv][limits]") {
  Emu emu;
  emu.put_json(kv_path("a"), {{"value", "v"}});
  CHECK(emu.get("/api/storage/kv/lim?limit=1000")->status == 200);
  CHECK(emu.get("/api/storage/kv/lim?limit=1")->status == 200);
  auto r = emu.get("/api/storage/kv/lim?limit=1001");
  REQUIRE(r->status == 400);
  CHECK(body_json(r)["code"] == "KV_INVALID_LIMIT");
  CHECK(body_json(r)["error"] == "Invalid key_count_limit of 1001. Please specify an integer less than 1000.");
  r = emu.get("/api/storage/kv/lim?limit=0");
  CHECK(body_json(r)["error"] == "Invalid key_count_limit of 0. Please specify an integer greater than 0.");
  CHECK(emu.get("/api/storage/kv/lim?limit=ten")->status == 400);
  r = emu.get("/api/storage/kv/lim?prefix=" + std::string(513, 'p'));
  CHECK(r->status == 414);
  CHECK(emu.get("/api/storage/kv/lim?cursor=!!!")->status == 400);
}

TEST_CASE("kv put: non-string values and bad bodies are 400s that store nothing", "[kv][limits]") {
  Emu emu;
  emu.put_json(kv_path("k"), {{"value", "keep"}});
  CHECK(body_json(emu.put_json(kv_path("k"), {{"value", 5}}))["code"] == "KV_INVALID_VALUE");
  CHECK(body_json(emu.put_json(kv_path("k"), {{"value", {{"a", 1}}}}))["code"] == "KV_INVALID_VALUE");
  CHECK(body_json(emu.put_json(kv_path("k"), json::object()))["code"] == "INVALID_BODY");
  CHECK(body_json(emu.send("PUT", kv_path("k"), "{not json"))["code"] == "INVALID_JSON");
  CHECK(body_json(emu.get(kv_path("k")))["value"] == "keep");
}
