#include "fixture.h"

using namespace era::client;
using namespace std::chrono_literals;
using era::client::test::Emu;

TEST_CASE("client kv: put, get, delete round trip", "[client][kv]") {
  Emu e;
  auto kv = e.client.kv("app");
  REQUIRE_OK(kv.put("user:1", "ada"));
  auto v = kv.get("user:1");
  REQUIRE_OK(v);
  REQUIRE(v->has_value());
  CHECK(**v == "ada");
  REQUIRE_OK(kv.del("user:1"));
  auto gone = kv.get("user:1");
  REQUIRE_OK(gone);
  CHECK_FALSE(gone->has_value());
  CHECK(kv.del("never-existed").has_value());  // deleting a missing key succeeds
}

TEST_CASE("client kv: awkward keys round-trip exactly", "[client][kv][encoding]") {
  Emu e;
  auto kv = e.client.kv("app");
  const std::vector<std::string> keys = {"a b", "q?x=1", "frag#ment", "100%", "dir/sub/file.txt",
                                         "caf\xC3\xA9", "plus+sign", "amp&eq=", "..x", "a//b"};
  for (size_t i = 0; i < keys.size(); ++i) REQUIRE_OK(kv.put(keys[i], "v" + std::to_string(i)));
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO("key " << keys[i]);
    auto v = kv.get(keys[i]);
    REQUIRE_OK(v);
    REQUIRE(v->has_value());
    CHECK(**v == "v" + std::to_string(i));
  }
  auto all = kv.list_all();
  REQUIRE_OK(all);
  std::vector<std::string> names;
  for (const auto& k : *all) names.push_back(k.name);
  auto expected = keys;
  std::sort(expected.begin(), expected.end());
  CHECK(names == expected);
}

TEST_CASE("client kv: metadata and TTL, expiry on the virtual clock", "[client][kv][ttl]") {
  Emu e;
  auto kv = e.client.kv("app");
  auto ctl = e.client.control();
  auto t0 = ctl.freeze();
  REQUIRE_OK(t0);
  REQUIRE_OK(kv.put("session", "s1", {.metadata = {{"user", 7}}, .expiration_ttl = 120s}));
  auto v = kv.get_with_metadata("session");
  REQUIRE_OK(v);
  REQUIRE(v->has_value());
  CHECK((*v)->value == "s1");
  CHECK((*v)->metadata == json{{"user", 7}});
  REQUIRE((*v)->expiration.has_value());
  CHECK(*(*v)->expiration == t0->now_ms / 1000 + 120);

  REQUIRE_OK(ctl.advance(119s));
  CHECK(kv.get("session")->has_value());
  REQUIRE_OK(ctl.advance(2s));
  auto gone = kv.get("session");
  REQUIRE_OK(gone);
  CHECK_FALSE(gone->has_value());
}

TEST_CASE("client kv: list pages by cursor and list_all follows them", "[client][kv][list]") {
  Emu e;
  auto kv = e.client.kv("pages");
  for (int i = 0; i < 250; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "k%03d", i);
    REQUIRE_OK(kv.put(key, std::to_string(i), {.metadata = {{"i", i}}}));
  }
  REQUIRE_OK(kv.put("other", "x"));
  auto first = kv.list({.prefix = "k", .limit = 100});
  REQUIRE_OK(first);
  CHECK(first->keys.size() == 100);
  CHECK_FALSE(first->list_complete);
  CHECK_FALSE(first->cursor.empty());
  CHECK(first->keys.front().name == "k000");
  CHECK(first->keys.front().metadata == json{{"i", 0}});
  auto second = kv.list({.prefix = "k", .limit = 100, .cursor = first->cursor});
  REQUIRE_OK(second);
  CHECK(second->keys.front().name == "k100");

  auto all = kv.list_all("k", 70);
  REQUIRE_OK(all);
  REQUIRE(all->size() == 250);
  CHECK(all->back().name == "k249");
}

TEST_CASE("client kv: server errors arrive as typed Errors", "[client][kv][errors]") {
  Emu e;
  auto bad_ns = e.client.kv("not a namespace!").put("k", "v");
  REQUIRE_FALSE(bad_ns);
  CHECK(bad_ns.error().status == 400);
  CHECK(bad_ns.error().code == "INVALID_NAMESPACE");

  auto short_ttl = e.client.kv("app").put("k", "v", {.expiration_ttl = 10s});
  REQUIRE_FALSE(short_ttl);
  CHECK(short_ttl.error().status == 400);
  CHECK(short_ttl.error().code == "KV_INVALID_EXPIRATION");
  CHECK_THAT(short_ttl.error().message, Catch::Contains("at least 60"));
  CHECK_THAT(short_ttl.error().describe(), Catch::StartsWith("400 KV_INVALID_EXPIRATION: "));

  auto long_key = e.client.kv("app").put(std::string(513, 'k'), "v");
  REQUIRE_FALSE(long_key);
  CHECK(long_key.error().code == "KV_KEY_TOO_LONG");

  auto bad_limit = e.client.kv("app").list({.limit = 5000});
  REQUIRE_FALSE(bad_limit);
  CHECK(bad_limit.error().code == "KV_INVALID_LIMIT");
}

TEST_CASE("client: no server is a transport Error, not a crash", "[client][transport]") {
  int port = 0;
  {
    Emu e;  // take a free port, then stop the emulator so nothing listens there
    port = e.emu->port();
  }
  Client c({.url = "http://127.0.0.1:" + std::to_string(port), .timeout = std::chrono::milliseconds(2000)});
  auto r = c.kv("app").get("k");
  REQUIRE_FALSE(r);
  CHECK(r.error().is_transport());
  CHECK(r.error().code == "TRANSPORT");
}

TEST_CASE("client: bearer token is sent when configured", "[client][auth]") {
  era::Options o;
  o.token = "s3cret";
  Emu e(o);
  auto denied = e.client.kv("app").put("k", "v");
  REQUIRE_FALSE(denied);
  CHECK(denied.error().status == 401);
  CHECK(denied.error().code == "UNAUTHORIZED");

  Client authed({.url = e.emu->url(), .token = "s3cret"});
  REQUIRE_OK(authed.kv("app").put("k", "v"));
  CHECK(authed.kv("app").get("k")->value_or("") == "v");
}

TEST_CASE("client: the URL may carry a trailing slash", "[client]") {
  Emu e;
  Client c({.url = e.emu->url() + "/"});
  REQUIRE_OK(c.kv("app").put("k", "v"));
  CHECK(c.kv("app").get("k")->value_or("") == "v");
}
