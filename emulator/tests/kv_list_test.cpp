// KV list paging past 1,000 keys, byte order, and namespace isolation through HTTP.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "support.h"

using namespace era::test;

TEST_CASE("kv list: 2,500 keys page through with the cursor in byte order", "[kv][list]") {
  Emu emu;
  std::vector<std::string> want;
  for (int i = 0; i < 2500; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "k%05d", (i * 7919) % 2500);  // written out of order
    want.emplace_back(buf);
    auto r = emu.put_json(std::string("/api/storage/kv/many/") + buf, {{"value", "v"}});
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  std::sort(want.begin(), want.end());
  std::vector<std::string> got;
  std::string cursor;
  int pages = 0;
  for (;;) {
    std::string path = "/api/storage/kv/many?limit=1000";
    if (!cursor.empty()) path += "&cursor=" + enc(cursor);
    json page = body_json(emu.get(path));
    ++pages;
    for (const auto& k : page["keys"]) got.push_back(k["name"]);
    if (page["list_complete"] == true) {
      CHECK_FALSE(page.contains("cursor"));
      break;
    }
    REQUIRE(page["keys"].size() == 1000);
    cursor = page["cursor"].get<std::string>();
    REQUIRE(pages < 10);
  }
  CHECK(pages == 3);
  CHECK(got == want);
  // The ERA default page is 100.
  json first = body_json(emu.get("/api/storage/kv/many"));
  CHECK(first["keys"].size() == 100);
  CHECK(first["list_complete"] == false);
  // Prefix plus cursor.
  json p = body_json(emu.get("/api/storage/kv/many?prefix=k024&limit=60"));
  CHECK(p["keys"].size() == 60);
  json rest = body_json(emu.get("/api/storage/kv/many?prefix=k024&limit=60&cursor=" +
                                enc(p["cursor"].get<std::string>())));
  CHECK(rest["keys"].size() == 40);
  CHECK(rest["list_complete"] == true);
  CHECK(rest["keys"][0]["name"] == "k02460");
}

TEST_CASE("kv namespaces: (a, b:c) and (a:b, c) cannot collide", "[kv][isolation]") {
  Emu emu;
  REQUIRE(emu.put_json("/api/storage/kv/a/b:c", {{"value", "from a"}})->status == 200);
  // The original proxy stored both as "a:b:c". Here a namespace cannot contain ':' at all...
  auto r = emu.put_json("/api/storage/kv/a:b/c", {{"value", "from a:b"}});
  CHECK(r->status == 400);
  CHECK(body_json(r)["code"] == "INVALID_NAMESPACE");
  CHECK(body_json(emu.get("/api/storage/kv/a/b:c"))["value"] == "from a");
  // ...and namespaces that share a prefix stay apart (stored key = ns \0 key).
  REQUIRE(emu.put_json("/api/storage/kv/a-b/c", {{"value", "from a-b"}})->status == 200);
  REQUIRE(emu.put_json("/api/storage/kv/a/b-c", {{"value", "from a, b-c"}})->status == 200);
  REQUIRE(emu.put_json("/api/storage/kv/ab/x", {{"value", "from ab"}})->status == 200);
  CHECK(body_json(emu.get("/api/storage/kv/a-b/c"))["value"] == "from a-b");
  CHECK(body_json(emu.get("/api/storage/kv/a/b-c"))["value"] == "from a, b-c");
  std::set<std::string> names;
  json listed = body_json(emu.get("/api/storage/kv/a"));  // keep the temporary alive for the loop
  for (auto& k : listed["keys"]) names.insert(k["name"]);
  CHECK(names == std::set<std::string>{"b-c", "b:c"});
  CHECK(body_json(emu.get("/api/storage/kv/ab"))["keys"].size() == 1);
  emu.del("/api/storage/kv/a/b:c");
  CHECK(body_json(emu.get("/api/storage/kv/a-b/c"))["value"] == "from a-b");
}
