#include <catch2/catch.hpp>

#include "era/testkit/catch2.h"
#include "era/testkit/emulator.h"

using namespace era::testkit;
using namespace era::testkit::matchers;
using namespace std::chrono_literals;

TEST_CASE("testkit kv: matchers see what application code wrote", "[testkit][kv]") {
  auto emu = Emulator::start();
  CHECK(emu.in_process());
  CHECK_THAT(emu.url(), Catch::StartsWith("http://127.0.0.1:"));
  era::client::Client app({.url = emu.url()});  // "application code": a separate client
  REQUIRE(app.kv("app").put("user:1", "ada", {.metadata = {{"role", "admin"}}}));

  REQUIRE_THAT(emu.kv("app"), HasKey("user:1"));
  REQUIRE_THAT(emu.kv("app"), HasKey("user:1").WithValue("ada").WithMetadata({{"role", "admin"}}));
  REQUIRE_THAT(emu.kv("app"), HasKey("user:1").WithoutExpiration());
  REQUIRE_THAT(emu.kv("app"), LacksKey("user:2"));
  REQUIRE_THAT(emu.kv("app"), !HasKey("user:1").WithValue("bob"));
  CHECK(emu.kv("app").size() == 1);
  CHECK(emu.kv("other").size() == 0);
}

TEST_CASE("testkit kv: TTL on the virtual clock, no sleeping", "[testkit][kv][clock]") {
  auto emu = Emulator::start();
  emu.clock().freeze();
  auto frozen = emu.clock().set("2030-01-01T00:00:00Z");
  CHECK(frozen.mode == "frozen");
  CHECK(frozen.now == "2030-01-01T00:00:00.000Z");
  emu.kv("app").put("session", "s1", {.expiration_ttl = 120s});
  REQUIRE_THAT(emu.kv("app"), HasKey("session").ExpiringIn(120s));
  REQUIRE_THAT(emu.kv("app"), !HasKey("session").ExpiringIn(60s));
  emu.clock().advance(119s);
  REQUIRE_THAT(emu.kv("app"), HasKey("session").ExpiringIn(1s));
  emu.clock().advance(1s);
  REQUIRE_THAT(emu.kv("app"), LacksKey("session"));
}

TEST_CASE("testkit kv: a failing matcher prints the namespace's state", "[testkit][kv][messages]") {
  auto emu = Emulator::start({.frozen_clock = true, .clock_start_ms = 1893456000000});  // 2030-01-01
  emu.kv("app").put("a", "1");
  emu.kv("app").put("b", "2", {.expiration_ttl = 120s});
  CHECK(Catch::Detail::stringify(emu.kv("app")) == "kv app: a=1 b=2[exp=+120s]");

  auto m = HasKey("a").WithValue("9");
  CHECK_FALSE(m.match(emu.kv("app")));
  CHECK(m.describe() == "has key \"a\" with value \"9\" (but found a=1)");

  auto missing = HasKey("zzz");
  CHECK_FALSE(missing.match(emu.kv("app")));
  CHECK(missing.describe() == "has key \"zzz\" (but the key is missing)");

  Check c = kv_has(emu.kv("app"), "a", "9");
  CHECK_FALSE(c);
  CHECK(c.message() == "expected kv app to have key \"a\" with value \"9\", but found a=1\n"
                       "  kv app: a=1 b=2[exp=+120s]");
  CHECK(kv_lacks(emu.kv("app"), "zzz"));
  CHECK(Catch::Detail::stringify(emu.kv("empty")) == "kv empty: (empty)");
}

TEST_CASE("testkit: attach to a running emulator by URL shares its state", "[testkit][attach]") {
  auto owner = Emulator::start();
  owner.kv("app").put("k", "from-owner");
  auto attached = Emulator::attach(owner.url());
  CHECK_FALSE(attached.in_process());
  REQUIRE_THAT(attached.kv("app"), HasKey("k").WithValue("from-owner"));
  attached.kv("app").put("k2", "from-attached");
  REQUIRE_THAT(owner.kv("app"), HasKey("k2").WithValue("from-attached"));
}

TEST_CASE("testkit: attach to nothing fails with a transport error", "[testkit][attach]") {
  std::string url;
  { url = Emulator::start().url(); }  // stopped: nothing listens there now
  try {
    Emulator::attach(url);
    FAIL("attach should have thrown");
  } catch (const Failure& f) {
    CHECK(f.error().is_transport());
    CHECK_THAT(f.what(), Catch::Contains("attach"));
  }
}

TEST_CASE("testkit: a token-protected emulator is driven with its token", "[testkit][auth]") {
  auto emu = Emulator::start({.token = "t0k"});
  emu.kv("app").put("k", "v");
  REQUIRE_THAT(emu.kv("app"), HasKey("k").WithValue("v"));
  era::client::Client anonymous({.url = emu.url()});
  CHECK(anonymous.kv("app").get("k").error().status == 401);
}
