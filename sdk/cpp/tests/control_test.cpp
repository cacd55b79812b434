#include "fixture.h"

using namespace era::client;
using namespace std::chrono_literals;
using era::client::test::Emu;

TEST_CASE("client control: clock freeze, advance, set, reset", "[client][control][clock]") {
  Emu e;
  auto ctl = e.client.control();
  auto health = ctl.health();
  REQUIRE_OK(health);
  CHECK((*health)["status"] == "ok");

  auto frozen = ctl.freeze();
  REQUIRE_OK(frozen);
  CHECK(frozen->mode == "frozen");
  auto later = ctl.advance(90s);
  REQUIRE_OK(later);
  CHECK(later->now_ms == frozen->now_ms + 90000);
  auto set = ctl.set_time("2030-01-01T00:00:00Z");
  REQUIRE_OK(set);
  CHECK(set->now == "2030-01-01T00:00:00.000Z");
  CHECK(set->now_ms == 1893456000000);
  auto by_ms = ctl.set_time_ms(1893456000000 + 1500);
  REQUIRE_OK(by_ms);
  CHECK(by_ms->now == "2030-01-01T00:00:01.500Z");
  auto real = ctl.reset_clock();
  REQUIRE_OK(real);
  CHECK(real->mode == "real");

  auto bad = ctl.set_time("not a time");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().status == 400);
  CHECK(bad.error().code == "INVALID_TIME");
}

TEST_CASE("client control: faults fire, are counted, and clear", "[client][control][faults]") {
  Emu e;
  auto ctl = e.client.control();
  REQUIRE_OK(e.client.kv("app").put("user:1", "ada"));
  FaultRule r;
  r.service = "kv";
  r.op = "get";
  r.ns = "app*";
  r.key = "user:*";
  r.action = FaultAction::error(503, "UNAVAILABLE", "injected");
  r.times = 2;
  auto added = ctl.add_fault(r);
  REQUIRE_OK(added);
  CHECK_FALSE(added->id.empty());

  for (int i = 0; i < 2; ++i) {
    auto g = e.client.kv("app").get("user:1");
    REQUIRE_FALSE(g);
    CHECK(g.error().status == 503);
    CHECK(g.error().code == "UNAVAILABLE");
  }
  CHECK(e.client.kv("app").get("user:1")->value_or("") == "ada");
  CHECK(e.client.kv("other").get("user:1").has_value());  // namespace glob does not match

  auto list = ctl.faults();
  REQUIRE_OK(list);
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].id == added->id);
  CHECK((*list)[0].fired == 2);
  CHECK((*list)[0].remaining == std::optional<int64_t>(0));
  REQUIRE_OK(ctl.remove_fault(added->id));
  CHECK(ctl.faults()->empty());

  auto bad = ctl.add_fault(json{{"service", "kv"}, {"action", {{"type", "explode"}}}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().status == 400);
}

TEST_CASE("client control: reset, snapshots, seed, inspect", "[client][control][state]") {
  Emu e;
  auto ctl = e.client.control();
  auto seeded = ctl.seed(json{{"kv", {{"app", {{"a", "1"}, {"b", {{"value", "2"}, {"metadata", {{"m", 1}}}}}}}}},
                              {"r2", {{"files", {{"x.txt", {{"text", "hello"}, {"contentType", "text/plain"}}}}}}},
                              {"d1", {{"db", {"CREATE TABLE t (x INTEGER)", "INSERT INTO t VALUES (7)"}}}}});
  REQUIRE_OK(seeded);

  auto entries = ctl.kv_entries("app");
  REQUIRE_OK(entries);
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].key == "a");
  CHECK((*entries)[0].value == "1");
  CHECK((*entries)[1].metadata == json{{"m", 1}});
  auto one = ctl.kv_entry("app", "b");
  REQUIRE_OK(one);
  REQUIRE(one->has_value());
  CHECK((*one)->value == "2");
  CHECK_FALSE(ctl.kv_entry("app", "zzz")->has_value());

  auto obj = ctl.r2_object("files", "x.txt", true);
  REQUIRE_OK(obj);
  REQUIRE(obj->has_value());
  CHECK((*obj)->body == "hello");
  CHECK((*obj)->http_metadata.content_type == "text/plain");
  CHECK(ctl.r2_objects("files")->size() == 1);

  auto tables = ctl.d1_tables("db");
  REQUIRE_OK(tables);
  REQUIRE(tables->size() == 1);
  CHECK((*tables)[0].name == "t");
  auto rows = ctl.d1_rows("db", "t");
  REQUIRE_OK(rows);
  CHECK(*rows == json::array({{{"x", 7}}}));

  REQUIRE_OK(ctl.save_snapshot("base"));
  REQUIRE_OK(ctl.reset());
  CHECK(ctl.kv_entries("app")->empty());
  CHECK_FALSE(e.client.kv("app").get("a")->has_value());
  REQUIRE_OK(ctl.restore_snapshot("base"));
  CHECK(e.client.kv("app").get("a")->value_or("") == "1");
  CHECK(ctl.d1_rows("db", "t")->size() == 1);
  auto snaps = ctl.snapshots();
  REQUIRE_OK(snaps);
  REQUIRE(snaps->size() == 1);
  CHECK((*snaps)[0].name == "base");
  REQUIRE_OK(ctl.delete_snapshot("base"));
  auto unknown = ctl.restore_snapshot("base");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().status == 404);
}

TEST_CASE("client control: events record operations in order", "[client][control][events]") {
  Emu e;
  auto ctl = e.client.control();
  auto start = ctl.events();
  REQUIRE_OK(start);
  REQUIRE_OK(e.client.kv("app").put("k", "v"));
  CHECK_FALSE(e.client.kv("app").get("missing")->has_value());
  auto page = ctl.events(start->next);
  REQUIRE_OK(page);
  std::vector<std::string> seen;
  for (const auto& ev : page->events)
    if (ev.service == "kv") seen.push_back(ev.op + " " + ev.ns + "/" + ev.key + " " + std::to_string(ev.status));
  CHECK(seen == std::vector<std::string>{"put app/k 200", "get app/missing 404"});
  CHECK(page->next > start->next);
}
