// A Catch2 (v2) suite using era-emu — copy this file to start your own.
// One emulator per test binary (in-process, port 0), reset before every test.
// Link: target_link_libraries(your_tests PRIVATE era::testkit Catch2::Catch2)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <era/testkit/catch2.h>
#include <era/testkit/emulator.h>

using namespace era::testkit::matchers;
using namespace std::chrono_literals;

// ---- the code under test: it only knows a storage URL, like production code ----
struct SessionStore {
  era::client::Client client;
  bool login(const std::string& user) {
    return client.kv("sessions").put("session:" + user, "active", {.expiration_ttl = 3600s}).has_value();
  }
  std::optional<std::string> avatar(const std::string& user) {
    auto obj = client.r2("avatars").get(user + ".png");
    return obj && *obj ? std::optional((*obj)->body) : std::nullopt;
  }
};

// ---- the harness: start once, reset per test ----
era::testkit::Emulator& era_emu() {
  // ERA_EMU_URL set → attach to that emulator; otherwise start one in this process.
  static era::testkit::Emulator emu = era::testkit::Emulator::from_env();
  return emu;
}

struct EraTest {
  era::testkit::Emulator& emu = era_emu();
  EraTest() { emu.reset(); }
  SessionStore store{era::client::Client({.url = emu.url()})};
};

TEST_CASE_METHOD(EraTest, "login: stores a session that expires after an hour", "[example]") {
  emu.clock().freeze();
  REQUIRE(store.login("ada"));
  REQUIRE_THAT(emu.kv("sessions"), HasKey("session:ada").WithValue("active").ExpiringIn(3600s));
  emu.clock().advance(3600s);
  REQUIRE_THAT(emu.kv("sessions"), LacksKey("session:ada"));
}

TEST_CASE_METHOD(EraTest, "login: a storage outage is reported, not swallowed", "[example]") {
  era::client::FaultRule outage;
  outage.service = "kv";
  outage.op = "put";
  outage.action = era::client::FaultAction::error(503);
  emu.faults().add(outage);
  CHECK_FALSE(store.login("ada"));
  REQUIRE_THAT(emu.kv("sessions"), LacksKey("session:ada"));
}

TEST_CASE_METHOD(EraTest, "avatar: reads what was uploaded", "[example]") {
  emu.r2("avatars").put("ada.png", "PNG...");
  REQUIRE(store.avatar("ada") == std::optional<std::string>("PNG..."));
  REQUIRE_FALSE(store.avatar("bob").has_value());
}
