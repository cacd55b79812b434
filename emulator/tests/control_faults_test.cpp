// /_emu/faults over HTTP: every action type as a client sees it, scoping, determinism.
#include <catch2/catch.hpp>
#include <chrono>

#include "support.h"

using namespace era::test;

namespace {

void put_kv(Emu& emu, const std::string& ns, const std::string& key, const std::string& value,
            const httplib::Headers& h = {}) {
  auto r = emu.put_json("/api/storage/kv/" + ns + "/" + key, {{"value", value}}, h);
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

json add_fault(Emu& emu, const json& rule) {
  auto r = emu.post_json("/_emu/faults", rule);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 201);
  return body_json(r);
}

}  // namespace

TEST_CASE("control faults: an error rule fails matching calls `times` times, then retires", "[control][faults]") {
  Emu emu;
  put_kv(emu, "app1", "user:1", "alice");
  json rule = add_fault(emu, {{"service", "kv"}, {"op", "get"}, {"namespace", "app*"}, {"key", "user:*"},
                              {"action", {{"type", "error"}, {"status", 503}, {"code", "UNAVAILABLE"},
                                          {"message", "injected"}}},
                              {"probability", 1.0}, {"seed", 42}, {"after", 0}, {"times", 2}});
  CHECK(rule["id"].is_string());
  CHECK(rule["remaining"] == 2);
  for (int i = 0; i < 2; ++i) {
    auto r = emu.get("/api/storage/kv/app1/user:1");
    REQUIRE(r);
    CHECK(r->status == 503);
    json b = body_json(r);
    CHECK(b["code"] == "UNAVAILABLE");
    CHECK(b["error"] == "injected");
    CHECK(b["fault"] == rule["id"]);
  }
  auto ok = emu.get("/api/storage/kv/app1/user:1");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  // Not matched: other namespace pattern, other op.
  put_kv(emu, "other", "user:1", "bob");
  CHECK(emu.get("/api/storage/kv/other/user:1")->status == 200);

  json list = body_json(emu.get("/_emu/faults"));
  REQUIRE(list["faults"].size() == 1);
  CHECK(list["faults"][0]["matched"] == 2);
  CHECK(list["faults"][0]["fired"] == 2);
  CHECK(list["faults"][0]["remaining"] == 0);

  auto one = emu.get("/_emu/faults/" + rule["id"].get<std::string>());
  CHECK(one->status == 200);
  CHECK(emu.del("/_emu/faults/" + rule["id"].get<std::string>())->status == 200);
  auto gone = emu.del("/_emu/faults/" + rule["id"].get<std::string>());
  CHECK(gone->status == 404);
  CHECK(body_json(gone)["code"] == "FAULT_NOT_FOUND");
}

TEST_CASE("control faults: malformed rules are 400 INVALID_FAULT and nothing is stored", "[control][faults]") {
  Emu emu;
  for (const json& bad : {json{{"service", "kv"}},
                          json{{"action", {{"type", "boom"}}}},
                          json{{"action", {{"type", "error"}}}, {"probability", 2}},
                          json{{"action", {{"type", "latency"}, {"ms", -1}}}},
                          json{{"action", {{"type", "error"}}}, {"namespace", 5}}}) {
    auto r = emu.post_json("/_emu/faults", bad);
    REQUIRE(r);
    INFO(bad.dump() << " -> " << r->body);
    CHECK(r->status == 400);
    CHECK(body_json(r)["code"] == "INVALID_FAULT");
  }
  auto notjson = emu.send("POST", "/_emu/faults", "{nope");
  CHECK(notjson->status == 400);
  CHECK(body_json(emu.get("/_emu/faults"))["faults"].empty());
}

TEST_CASE("control faults: throttle answers 429 with Retry-After", "[control][faults]") {
  Emu emu;
  add_fault(emu, {{"service", "kv"}, {"op", "put"}, {"action", {{"type", "throttle"}, {"retry_after", 7}}}});
  auto r = emu.put_json("/api/storage/kv/app/k", {{"value", "v"}});
  REQUIRE(r);
  CHECK(r->status == 429);
  CHECK(r->get_header_value("Retry-After") == "7");
  CHECK(body_json(r)["code"] == "THROTTLED");
  // The write did not happen.
  CHECK(emu.get("/_emu/inspect/kv/app/k")->status == 404);
}

TEST_CASE("control faults: lost_ack applies the write, then fails the response", "[control][faults]") {
  Emu emu;
  add_fault(emu, {{"service", "kv"}, {"op", "put"}, {"times", 1}, {"action", {{"type", "lost_ack"}}}});
  auto r = emu.put_json("/api/storage/kv/app/order:1", {{"value", "paid"}});
  REQUIRE(r);
  CHECK(r->status == 503);
  // The write really happened: the authoritative state has it.
  auto seen = emu.get("/_emu/inspect/kv/app/order:1");
  REQUIRE(seen->status == 200);
  CHECK(body_json(seen)["value"] == "paid");
  // The rule fired once; the retry succeeds.
  CHECK(emu.put_json("/api/storage/kv/app/order:1", {{"value", "paid"}})->status == 200);
}

TEST_CASE("control faults: sequence scripts 503, 503, ok call by call", "[control][faults]") {
  Emu emu;
  put_kv(emu, "app", "k", "v");
  add_fault(emu, {{"service", "kv"}, {"op", "get"},
                  {"sequence", json::array({{{"type", "error"}, {"status", 503}},
                                            {{"type", "error"}, {"status", 500}},
                                            {{"type", "ok"}}})}});
  CHECK(emu.get("/api/storage/kv/app/k")->status == 503);
  CHECK(emu.get("/api/storage/kv/app/k")->status == 500);
  CHECK(emu.get("/api/storage/kv/app/k")->status == 200);
  CHECK(emu.get("/api/storage/kv/app/k")->status == 200);
}

TEST_CASE("control faults: client and location scope a rule", "[control][faults]") {
  Emu emu;
  put_kv(emu, "app", "k", "v");
  add_fault(emu, {{"client", "test-7"}, {"action", {{"type", "error"}, {"status", 502}}}});
  add_fault(emu, {{"location", "eu-west"}, {"action", {{"type", "error"}, {"status", 504}}}});
  CHECK(emu.get("/api/storage/kv/app/k")->status == 200);
  CHECK(emu.get("/api/storage/kv/app/k", {{"X-Era-Client", "test-8"}})->status == 200);
  CHECK(emu.get("/api/storage/kv/app/k", {{"X-Era-Client", "test-7"}})->status == 502);
  CHECK(emu.get("/api/storage/kv/app/k", {{"X-Era-Location", "eu-west"}})->status == 504);
  // Control routes are never faulted.
  CHECK(emu.get("/_emu/faults", {{"X-Era-Client", "test-7"}})->status == 200);
}

TEST_CASE("control faults: seeded probability gives the same faults on every run", "[control][faults]") {
  auto run = [] {
    Emu emu;
    put_kv(emu, "app", "k", "v");
    add_fault(emu, {{"service", "kv"}, {"op", "get"}, {"probability", 0.5}, {"seed", 42},
                    {"action", {{"type", "error"}, {"status", 503}}}});
    std::string statuses;
    for (int i = 0; i < 60; ++i) statuses += emu.get("/api/storage/kv/app/k")->status == 503 ? 'X' : '.';
    return statuses;
  };
  std::string first = run(), second = run();
  INFO(first);
  CHECK(first == second);
  auto fired = std::count(first.begin(), first.end(), 'X');
  CHECK(fired > 10);
  CHECK(fired < 50);
}

TEST_CASE("control faults: latency delays, timeout holds then answers 504", "[control][faults]") {
  Emu emu;
  put_kv(emu, "app", "k", "v");
  add_fault(emu, {{"op", "get"}, {"times", 1}, {"action", {{"type", "latency"}, {"ms", 150}}}});
  auto t0 = std::chrono::steady_clock::now();
  auto r = emu.get("/api/storage/kv/app/k");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK(r->status == 200);
  CHECK(ms >= 150);
  add_fault(emu, {{"op", "get"}, {"times", 1}, {"action", {{"type", "timeout"}, {"hold_ms", 100}}}});
  t0 = std::chrono::steady_clock::now();
  r = emu.get("/api/storage/kv/app/k");
  ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK(r->status == 504);
  CHECK(ms >= 100);
}

TEST_CASE("control faults: reset drops the connection without a response", "[control][faults]") {
  Emu emu;
  put_kv(emu, "app", "k", "v");
  add_fault(emu, {{"op", "get"}, {"times", 1}, {"action", {{"type", "reset"}}}});
  auto r = emu.get("/api/storage/kv/app/k");
  CHECK_FALSE(r);  // no status line at all
  // The server is fine afterwards (a new connection).
  auto again = emu.get("/api/storage/kv/app/k");
  REQUIRE(again);
  CHECK(again->status == 200);
}

TEST_CASE("control faults: truncate sends fewer bytes than Content-Length", "[control][faults]") {
  Emu emu;
  put_kv(emu, "app", "big", std::string(5000, 'x'));
  add_fault(emu, {{"op", "get"}, {"times", 1}, {"action", {{"type", "truncate"}, {"after_bytes", 100}}}});
  httplib::Client raw("127.0.0.1", emu.emu->port());
  size_t got = 0;
  auto r = raw.Get("/api/storage/kv/app/big", [&](const char*, size_t n) {
    got += n;
    return true;
  });
  CHECK_FALSE(r);  // the body ended early: a read error, not a response
  CHECK(got == 100);
  auto again = emu.get("/api/storage/kv/app/big");
  REQUIRE(again);
  CHECK(body_json(again)["value"].get<std::string>().size() == 5000);
}

TEST_CASE("control faults: the event log records which rule fired", "[control][faults][events]") {
  Emu emu;
  put_kv(emu, "app", "k", "v");
  json rule = add_fault(emu, {{"op", "get"}, {"times", 1}, {"action", {{"type", "error"}}}});
  emu.get("/api/storage/kv/app/k");
  emu.get("/api/storage/kv/app/k");
  json ev = body_json(emu.get("/_emu/events?service=kv&op=get"));
  REQUIRE(ev["events"].size() == 2);
  CHECK(ev["events"][0]["status"] == 503);
  CHECK(ev["events"][0]["fault"] == rule["id"]);
  CHECK(ev["events"][1]["status"] == 200);
  CHECK(ev["events"][1]["fault"].is_null());
}
