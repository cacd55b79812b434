// Reset, seed, snapshots, faults and events through the testkit (the /_emu control API).
#include <catch2/catch.hpp>
#include <filesystem>

#include "era/testkit/catch2.h"
#include "era/testkit/emulator.h"

using namespace era::testkit;
using namespace era::testkit::matchers;
using namespace std::chrono_literals;

namespace {
std::filesystem::path fixture(const char* name) {
  return std::filesystem::path(ERA_SOURCE_DIR) / "testkit" / "tests" / "fixtures" / name;
}
}  // namespace

TEST_CASE("testkit reset: clears every service, keeps nothing", "[testkit][reset]") {
  auto emu = Emulator::start();
  emu.kv("app").put("k", "v");
  emu.r2("files").put("a.txt", "hi");
  emu.d1("db").exec("CREATE TABLE t (x INTEGER)");
  emu.d1("db").exec("INSERT INTO t VALUES (1)");
  emu.reset();
  REQUIRE_THAT(emu.kv("app"), LacksKey("k"));
  REQUIRE_THAT(emu.r2("files"), LacksObject("a.txt"));
  CHECK_FALSE(emu.d1("db").has_table("t"));
}

TEST_CASE("testkit reset: one namespace only", "[testkit][reset]") {
  auto emu = Emulator::start();
  emu.kv("a").put("k", "1");
  emu.kv("b").put("k", "2");
  emu.reset({.service = "kv", .ns = "a"});
  REQUIRE_THAT(emu.kv("a"), LacksKey("k"));
  REQUIRE_THAT(emu.kv("b"), HasKey("k").WithValue("2"));
}

TEST_CASE("testkit seed: a fixture file fills KV, R2 and D1", "[testkit][seed]") {
  auto emu = Emulator::start({.seed_files = {fixture("basic.json")}});
  REQUIRE_THAT(emu.kv("app"), HasKey("greeting").WithValue("hello").WithoutExpiration());
  REQUIRE_THAT(emu.kv("app"), HasKey("config").WithMetadata({{"v", 2}}).WithExpiration());
  REQUIRE_THAT(emu.r2("files"), HasObject("readme.txt").WithBody("seeded text").WithContentType("text/plain"));
  REQUIRE_THAT(emu.r2("files"), HasObject("logo.bin").WithBody(std::string("BIN\0\1\2", 6)).WithSize(6));
  REQUIRE_THAT(emu.d1("db"), HasRows("users", {{{"id", 1}, {"name", "ada"}}, {{"id", 2}, {"name", "bob"}}}));
  REQUIRE_THAT(emu.d1("db"), HasRow("users", {{"name", "bob"}}));
  REQUIRE_THAT(emu.d1("db"), HasRowCount("users", 2));
  REQUIRE_THAT(emu.d1("db"), QueryReturns("SELECT name FROM users WHERE id = ?", {{{"name", "ada"}}}, {1}));
}

TEST_CASE("testkit snapshot: restore puts the seeded baseline back", "[testkit][snapshot]") {
  auto emu = Emulator::start({.seed_files = {fixture("basic.json")}});
  emu.snapshot("baseline");
  emu.kv("app").del("greeting");
  emu.kv("app").put("junk", "x");
  emu.d1("db").exec("DELETE FROM users");
  emu.restore("baseline");
  REQUIRE_THAT(emu.kv("app"), HasKey("greeting").WithValue("hello"));
  REQUIRE_THAT(emu.kv("app"), LacksKey("junk"));
  REQUIRE_THAT(emu.d1("db"), HasRowCount("users", 2));
  auto snaps = emu.snapshots();
  REQUIRE(snaps.size() == 1);
  CHECK(snaps[0].name == "baseline");
}

TEST_CASE("testkit snapshot: restoring an unknown name throws a Failure with the code", "[testkit][snapshot]") {
  auto emu = Emulator::start();
  try {
    emu.restore("nope");
    FAIL("restore of an unknown snapshot should throw");
  } catch (const Failure& f) {
    CHECK(f.error().status == 404);
    CHECK_THAT(f.what(), Catch::Contains("restore"));
  }
}

TEST_CASE("testkit faults: an injected 503 reaches the client, bookkeeping counts it", "[testkit][faults]") {
  auto emu = Emulator::start();
  emu.kv("app").put("user:1", "ada");
  era::client::FaultRule rule;
  rule.service = "kv";
  rule.op = "get";
  rule.ns = "app*";
  rule.key = "user:*";
  rule.action = era::client::FaultAction::error(503, "UNAVAILABLE", "injected");
  rule.times = 1;
  auto fault = emu.faults().add(rule);
  CHECK_FALSE(fault.id.empty());

  auto kv = emu.client().kv("app");
  auto first = kv.get("user:1");
  REQUIRE_FALSE(first);
  CHECK(first.error().status == 503);
  CHECK(first.error().code == "UNAVAILABLE");
  auto second = kv.get("user:1");  // times = 1: retired
  REQUIRE(second);
  CHECK(second->value_or("") == "ada");

  auto after = emu.faults().get(fault.id);
  CHECK(after.fired == 1);
  CHECK(after.matched >= 1);
  REQUIRE(after.remaining.has_value());
  CHECK(*after.remaining == 0);
  emu.faults().clear();
  CHECK(emu.faults().list().empty());
}

TEST_CASE("testkit events: the log shows what the code did, in order", "[testkit][events]") {
  auto emu = Emulator::start();
  int64_t mark = emu.event_mark();
  auto kv = emu.client().kv("app");
  REQUIRE(kv.put("k", "v"));
  REQUIRE(kv.get("k"));
  auto events = emu.events(mark);
  std::vector<std::string> ops;
  for (const auto& e : events)
    if (e.service == "kv") ops.push_back(e.op + " " + e.ns + "/" + e.key + " " + std::to_string(e.status));
  CHECK(ops == std::vector<std::string>{"put app/k 200", "get app/k 200"});
}
