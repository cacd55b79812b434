// Reset, snapshots, seed and inspect over HTTP, checked on all three engines.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <fstream>
#include <mutex>
#include <thread>

#include "support.h"

using namespace era::test;

namespace {

// One KV entry, one R2 object and one D1 table with rows, in namespace `ns`.
json fixture(const std::string& ns, const std::string& tag) {
  return {{"kv", {{ns, {{"greeting", "hello-" + tag},
                        {"user:1", {{"value", "alice-" + tag}, {"metadata", {{"role", "admin"}}},
                                    {"expirationTtl", 3600}}}}}}},
          {"r2", {{ns, {{"docs/readme.txt", {{"text", "readme-" + tag}, {"contentType", "text/plain"}}},
                        {"img/dot.bin", {{"base64", "AAEC"}}}}}}},
          {"d1", {{ns, json::array({"CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)",
                                    "INSERT INTO users (name) VALUES ('alice-" + tag + "'), ('bob')"})}}}};
}

void seed(Emu& emu, const json& doc) {
  auto r = emu.post_json("/_emu/seed", doc);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
}

size_t kv_count(Emu& emu, const std::string& ns) {
  return body_json(emu.get("/_emu/inspect/kv/" + ns))["keys"].size();
}
size_t r2_count(Emu& emu, const std::string& ns) {
  return body_json(emu.get("/_emu/inspect/r2/" + ns))["objects"].size();
}
size_t d1_tables(Emu& emu, const std::string& ns) {
  return body_json(emu.get("/_emu/inspect/d1/" + ns))["tables"].size();
}
std::string kv_value(Emu& emu, const std::string& ns, const std::string& key) {
  auto r = emu.get("/_emu/inspect/kv/" + ns + "/" + key);
  if (!r || r->status != 200) return "<missing>";
  return body_json(r)["value"];
}
}  // namespace

TEST_CASE("control seed: KV, R2 and D1 land and inspect shows them", "[control][seed][inspect]") {
  Emu emu;
  seed(emu, fixture("app", "a"));
  json kv = body_json(emu.get("/_emu/inspect/kv/app"));
  REQUIRE(kv["keys"].size() == 2);
  json user = body_json(emu.get("/_emu/inspect/kv/app/user:1"));
  CHECK(user["value"] == "alice-a");
  CHECK(user["metadata"] == json{{"role", "admin"}});
  CHECK(user["expiration"].is_number_integer());

  json r2 = body_json(emu.get("/_emu/inspect/r2/app"));
  REQUIRE(r2["objects"].size() == 2);
  json readme = body_json(emu.get("/_emu/inspect/r2/app/docs/readme.txt?body=true"));
  CHECK(readme["size"] == 8);
  CHECK(readme["contentType"] == "text/plain");
  CHECK(readme["base64"] == "cmVhZG1lLWE=");  // "readme-a"
  CHECK_FALSE(body_json(emu.get("/_emu/inspect/r2/app/img/dot.bin")).contains("base64"));

  json d1 = body_json(emu.get("/_emu/inspect/d1/app"));
  REQUIRE(d1["tables"].size() == 1);
  CHECK(d1["tables"][0]["name"] == "users");
  CHECK(d1["tables"][0]["rows"] == 2);
  json rows = body_json(emu.get("/_emu/inspect/d1/app/users"));
  REQUIRE(rows["rows"].size() == 2);
  CHECK(rows["rows"][0]["name"] == "alice-a");

  CHECK(emu.get("/_emu/inspect/kv/app/nope")->status == 404);
  CHECK(emu.get("/_emu/inspect/r2/app/nope")->status == 404);
  CHECK(emu.get("/_emu/inspect/d1/app/nope")->status == 404);
  CHECK(emu.get("/_emu/inspect/kv/bad..ns")->status == 400);
}

TEST_CASE("control inspect: a D1 query reads in column order, refuses writes, skips faults and events",
          "[control][inspect][d1]") {
  Emu emu;
  seed(emu, fixture("app", "a"));
  // A rule that fails every D1 call: the inspect query must neither meet it nor use it up.
  auto fr = emu.post_json("/_emu/faults", {{"service", "d1"}, {"times", 1}, {"action", {{"type", "error"}}}});
  REQUIRE(fr->status == 201);
  int64_t since = body_json(emu.get("/_emu/events"))["next"].get<int64_t>();

  auto q = emu.post_json("/_emu/inspect/d1/app/query",
                         {{"sql", "SELECT name, id FROM users WHERE id >= ? ORDER BY id"}, {"params", {1}}});
  REQUIRE(q->status == 200);
  INFO(q->body);
  CHECK(q->body.find(R"({"name":"alice-a","id":1})") != std::string::npos);  // SELECT order kept
  CHECK(body_json(q)["results"].size() == 2);

  auto w = emu.post_json("/_emu/inspect/d1/app/query", {{"sql", "DELETE FROM users"}});
  CHECK(w->status == 400);
  CHECK(body_json(w)["code"] == "D1_READ_ONLY");
  CHECK(body_json(emu.get("/_emu/inspect/d1/app"))["tables"][0]["rows"] == 2);
  auto bad = emu.post_json("/_emu/inspect/d1/app/query", {{"sql", "SELEC nonsense"}});
  CHECK(bad->status == 400);
  CHECK(body_json(bad)["code"] == "D1_SQL_ERROR");
  CHECK(emu.post_json("/_emu/inspect/d1/app/query", {{"params", {1}}})->status == 400);

  // A namespace with no database: nothing is created, SELECT 1 still answers.
  auto none = emu.post_json("/_emu/inspect/d1/ghost/query", {{"sql", "SELECT 1 AS one"}});
  REQUIRE(none->status == 200);
  CHECK(body_json(none)["results"] == json::array({{{"one", 1}}}));
  CHECK(emu.post_json("/_emu/inspect/d1/ghost/query", {{"sql", "SELECT * FROM t"}})->status == 400);
  CHECK(d1_tables(emu, "ghost") == 0);

  json events = body_json(emu.get("/_emu/events?since=" + std::to_string(since)))["events"];
  for (const auto& e : events) CHECK(e["service"] != "d1");
  // The rule is still armed for the application's own call.
  auto app = emu.post_json("/api/storage/d1/app/query", {{"sql", "SELECT 1"}});
  CHECK(app->status >= 500);
}

TEST_CASE("control seed: an invalid document changes nothing", "[control][seed]") {
  Emu emu;
  seed(emu, {{"kv", {{"app", {{"keep", "me"}}}}}, {"d1", {{"app", json::array({"CREATE TABLE t (x)"})}}}});
  struct Case { json doc; std::string path; };
  std::vector<Case> cases = {
      {{{"kv", {{"app", {{"a", "1"}, {"b", {{"value", 5}}}}}}}}, "kv.app.b.value"},
      {{{"kv", {{"app", {{"a", {{"value", "1"}, {"expirationTtl", 5}}}}}}}}, "kv.app.a"},
      {{{"kv", {{"bad/ns", {{"a", "1"}}}}}}, "kv.bad/ns"},
      {{{"r2", {{"app", {{"x", {{"base64", "%%%"}}}}}}}}, "r2.app.x.base64"},
      {{{"r2", {{"app", {{"x", {{"file", "a.txt"}}}}}}}}, "r2.app.x.file"},
      {{{"r2", {{"app", {{"x", {{"text", "a"}, {"base64", "YQ=="}}}}}}}}, "r2.app.x"},
      {{{"kv", {{"app", {{"a", "1"}}}}}, {"s3", {}}}, "s3"},
      // Valid shape, but the last SQL statement fails: the KV part and the first namespace's
      // D1 statements must not survive either.
      {{{"kv", {{"app", {{"new", "1"}}}}},
        {"d1", {{"app", json::array({"INSERT INTO t VALUES (1)"})},
                {"zzz", json::array({"CREATE TABLE u (y)", "INSERT INTO nope VALUES (1)"})}}}},
       "d1.zzz[1]"},
  };
  for (const auto& c : cases) {
    auto r = emu.post_json("/_emu/seed", c.doc);
    REQUIRE(r);
    INFO(c.doc.dump() << " -> " << r->body);
    CHECK(r->status == 400);
    json b = body_json(r);
    CHECK(b["code"] == "INVALID_SEED");
    CHECK(b["path"] == c.path);
  }
  CHECK(kv_count(emu, "app") == 1);
  CHECK(kv_value(emu, "app", "keep") == "me");
  CHECK(body_json(emu.get("/_emu/inspect/d1/app"))["tables"][0]["rows"] == 0);
  CHECK(d1_tables(emu, "zzz") == 0);
  CHECK(r2_count(emu, "app") == 0);
}

TEST_CASE("control reset: empties KV, R2 and D1, faults and clock; logs the latency", "[control][reset]") {
  Emu emu;
  seed(emu, fixture("app", "a"));
  seed(emu, fixture("other", "b"));
  emu.post_json("/_emu/faults", {{"service", "d1"}, {"action", {{"type", "error"}}}});
  emu.post_json("/_emu/time", {{"advance_ms", 3600000}});

  auto t0 = std::chrono::steady_clock::now();
  auto r = emu.post_json("/_emu/reset", json::object());
  double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(r->status == 200);
  json rep = body_json(r);
  WARN("reset latency: server " << rep["duration_ms"].get<double>() << " ms, round trip " << wall
                                << " ms (2 namespaces x KV 2 keys, R2 2 objects, D1 1 table)");
  CHECK(rep["reset"]["kv"].get<int>() >= 4);
  CHECK(rep["reset"]["r2"].get<int>() >= 4);
  CHECK(rep["faults_cleared"] == true);
  for (const std::string ns : {"app", "other"}) {
    CHECK(kv_count(emu, ns) == 0);
    CHECK(r2_count(emu, ns) == 0);
    CHECK(d1_tables(emu, ns) == 0);
  }
  CHECK(body_json(emu.get("/_emu/faults"))["faults"].empty());
  CHECK(body_json(emu.get("/_emu/time"))["mode"] == "real");
  // Storage keeps working after a reset (lazily recreated databases).
  CHECK(emu.put_json("/api/storage/kv/app/k", {{"value", "v"}})->status == 200);
  CHECK(emu.post_json("/api/storage/d1/app/exec", {{"sql", "CREATE TABLE t (x)"}})->status == 200);
}

TEST_CASE("control reset: one service or one namespace; keep_faults / keep_clock", "[control][reset]") {
  Emu emu;
  seed(emu, fixture("app", "a"));
  seed(emu, fixture("other", "b"));
  emu.post_json("/_emu/faults", {{"service", "d1"}, {"action", {{"type", "error"}}}});
  emu.post_json("/_emu/time", {{"freeze", true}});
  auto r = emu.post_json("/_emu/reset", {{"namespace", "app"}, {"keep_faults", true}, {"keep_clock", true}});
  REQUIRE(r->status == 200);
  CHECK(kv_count(emu, "app") == 0);
  CHECK(r2_count(emu, "app") == 0);
  CHECK(d1_tables(emu, "app") == 0);
  CHECK(kv_count(emu, "other") == 2);
  CHECK(r2_count(emu, "other") == 2);
  CHECK(d1_tables(emu, "other") == 1);
  CHECK(body_json(emu.get("/_emu/faults"))["faults"].size() == 1);
  CHECK(body_json(emu.get("/_emu/time"))["mode"] == "frozen");

  r = emu.post_json("/_emu/reset", {{"service", "kv"}, {"keep_clock", true}});
  REQUIRE(r->status == 200);
  CHECK(kv_count(emu, "other") == 0);
  CHECK(r2_count(emu, "other") == 2);
  CHECK(body_json(emu.get("/_emu/faults"))["faults"].empty());

  auto bad = emu.post_json("/_emu/reset", {{"service", "s3"}});
  CHECK(bad->status == 400);
  CHECK(emu.post_json("/_emu/reset", {{"namespace", "../x"}})->status == 400);
  CHECK(emu.post_json("/_emu/reset", {{"keep_faults", "yes"}})->status == 400);
  CHECK(emu.send("POST", "/_emu/reset", "")->status == 200);  // no body = everything
}

TEST_CASE("control snapshots: save, change, restore brings KV, R2 and D1 back together", "[control][snapshots]") {
  Emu emu;
  seed(emu, fixture("app", "a"));
  auto saved = emu.post_json("/_emu/snapshots", {{"name", "base"}});
  REQUIRE(saved->status == 201);
  json info = body_json(saved);
  CHECK(info["name"] == "base");
  CHECK(info["bytes"].get<int64_t>() > 0);

  // Change everything: overwrite, add, delete, and a whole reset of one engine.
  seed(emu, fixture("app", "b"));
  seed(emu, fixture("extra", "c"));
  CHECK(emu.del("/api/storage/kv/app/greeting")->status == 200);
  CHECK(kv_value(emu, "app", "user:1") == "alice-b");

  auto t0 = std::chrono::steady_clock::now();
  auto restored = emu.post_json("/_emu/snapshots/base/restore", json::object());
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(restored->status == 200);
  WARN("snapshot restore round trip: " << ms << " ms");
  CHECK(kv_value(emu, "app", "user:1") == "alice-a");
  CHECK(kv_value(emu, "app", "greeting") == "hello-a");
  CHECK(kv_count(emu, "extra") == 0);
  CHECK(r2_count(emu, "extra") == 0);
  CHECK(d1_tables(emu, "extra") == 0);
  CHECK(body_json(emu.get("/_emu/inspect/r2/app/docs/readme.txt?body=true"))["base64"] == "cmVhZG1lLWE=");
  json rows = body_json(emu.get("/_emu/inspect/d1/app/users"));
  REQUIRE(rows["rows"].size() == 2);
  CHECK(rows["rows"][0]["name"] == "alice-a");

  // Restoring twice is fine, and bodies survive a reset in between (hard links, not moves).
  CHECK(emu.post_json("/_emu/reset", json::object())->status == 200);
  CHECK(emu.post_json("/_emu/snapshots/base/restore", json::object())->status == 200);
  CHECK(body_json(emu.get("/_emu/inspect/r2/app/docs/readme.txt?body=true"))["base64"] == "cmVhZG1lLWE=");

  json list = body_json(emu.get("/_emu/snapshots"));
  REQUIRE(list["snapshots"].size() == 1);
  CHECK(list["snapshots"][0]["name"] == "base");
  CHECK(list["snapshots"][0]["created"].is_string());

  auto missing = emu.post_json("/_emu/snapshots/nope/restore", json::object());
  CHECK(missing->status == 404);
  CHECK(body_json(missing)["code"] == "SNAPSHOT_NOT_FOUND");
  auto bad = emu.post_json("/_emu/snapshots", {{"name", "../etc"}});
  CHECK(bad->status == 400);
  CHECK(body_json(bad)["code"] == "INVALID_SNAPSHOT");
  CHECK(emu.post_json("/_emu/snapshots", json::object())->status == 400);

  CHECK(emu.del("/_emu/snapshots/base")->status == 200);
  CHECK(emu.del("/_emu/snapshots/base")->status == 404);
  CHECK(body_json(emu.get("/_emu/snapshots"))["snapshots"].empty());
}

TEST_CASE("control snapshots: survive a restart of the emulator on the same data dir", "[control][snapshots]") {
  TempDir dir;
  {
    Emu emu(Emu::on_dir(dir.path.string()));
    seed(emu, fixture("app", "a"));
    REQUIRE(emu.post_json("/_emu/snapshots", {{"name", "base"}})->status == 201);
    REQUIRE(emu.post_json("/_emu/reset", json::object())->status == 200);
  }
  Emu emu(Emu::on_dir(dir.path.string()));
  CHECK(kv_count(emu, "app") == 0);
  REQUIRE(emu.post_json("/_emu/snapshots/base/restore", json::object())->status == 200);
  CHECK(kv_value(emu, "app", "user:1") == "alice-a");
  CHECK(r2_count(emu, "app") == 2);
  CHECK(d1_tables(emu, "app") == 1);
}

TEST_CASE("control reset: concurrent requests never see half-reset state", "[control][reset][concurrency]") {
  Emu emu;
  // The baseline: 50 KV keys, 3 R2 objects, a D1 table of 3 rows. Resets and restores alternate
  // while workers read and write; every read must see either "empty" or the whole baseline,
  // never an error from an engine caught mid-way (a blob gone under its record, a database
  // closed under a query).
  json kv = json::object();
  for (int i = 0; i < 50; ++i) kv["k" + std::to_string(i)] = "S";
  seed(emu, {{"kv", {{"base", kv}}},
             {"r2", {{"base", {{"o1", {{"text", "one"}}}, {"o2", {{"text", "two"}}}, {"o3", {{"text", "three"}}}}}}},
             {"d1", {{"base", json::array({"CREATE TABLE t (x)", "INSERT INTO t VALUES (1), (2), (3)"})}}}});
  REQUIRE(emu.post_json("/_emu/snapshots", {{"name", "base"}})->status == 201);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, requests{0};
  std::mutex mu;
  std::vector<std::string> failures;
  auto oops = [&](const std::string& what) {
    ++bad;
    std::lock_guard lock(mu);
    if (failures.size() < 5) failures.push_back(what);
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < 6; ++w) {
    workers.emplace_back([&, w] {
      httplib::Client c("127.0.0.1", emu.emu->port());
      c.set_read_timeout(30, 0);
      const std::string ns = "w" + std::to_string(w);
      for (int i = 0; !stop; ++i) {
        requests += 4;
        auto put = c.Put("/api/storage/kv/" + ns + "/k" + std::to_string(i % 5),
                         json{{"value", "v"}}.dump(), "application/json");
        if (!put || put->status != 200) oops("kv put " + (put ? put->body : std::string("no response")));
        auto list = c.Get("/api/storage/kv/base?limit=1000");
        if (!list || list->status != 200) {
          oops("kv list");
        } else {
          size_t n = json::parse(list->body)["keys"].size();
          if (n != 0 && n != 50) oops("kv list saw " + std::to_string(n) + " keys");
        }
        auto obj = c.Get("/_emu/inspect/r2/base/o" + std::to_string(1 + i % 3) + "?body=true");
        if (!obj || (obj->status != 200 && obj->status != 404)) oops("r2 read " + (obj ? obj->body : ""));
        auto q = c.Post("/api/storage/d1/base/query", json{{"sql", "SELECT count(*) AS n FROM t"}}.dump(),
                        "application/json");
        if (!q) {
          oops("d1 no response");
        } else if (q->status == 200) {
          auto n = json::parse(q->body)["results"][0]["n"];
          if (n != 3) oops("d1 saw " + n.dump() + " rows");
        } else if (q->body.find("no such table") == std::string::npos) {
          oops("d1 " + q->body);
        }
      }
    });
  }
  std::vector<double> latencies;
  for (int i = 0; i < 30; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = i % 2 ? emu.post_json("/_emu/reset", json::object())
                   : emu.post_json("/_emu/snapshots/base/restore", json::object());
    latencies.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  stop = true;
  for (auto& t : workers) t.join();
  std::sort(latencies.begin(), latencies.end());
  WARN("reset/restore under load (" << requests.load() << " concurrent requests): median "
                                    << latencies[15] << " ms, max " << latencies.back() << " ms");
  for (const auto& f : failures) UNSCOPED_INFO(f);
  CHECK(bad == 0);
  CHECK(requests > 0);
}

TEST_CASE("control time: the clock stays within 1970…9999; a refused change changes nothing", "[control][clock]") {
  Emu emu;
  REQUIRE(emu.post_json("/_emu/time", {{"freeze", true}, {"set", "2030-01-01T00:00:00Z"}})->status == 200);
  const json before = body_json(emu.get("/_emu/time"));
  auto refused = [&](const json& body, const std::string& says) {
    auto r = emu.post_json("/_emu/time", body);
    REQUIRE(r);
    INFO(body.dump() << " -> " << r->body);
    CHECK(r->status == 400);
    CHECK(body_json(r)["code"] == "INVALID_TIME");
    CHECK(body_json(r)["error"].get<std::string>().find(says) != std::string::npos);
    CHECK(body_json(emu.get("/_emu/time")) == before);  // nothing applied
  };
  refused({{"set", INT64_MAX}}, "9999-12-31T23:59:59.999Z");
  refused({{"set", -1}}, "1970-01-01T00:00:00Z");
  refused({{"set", 253402300800000}}, "9999");
  refused({{"advance_ms", INT64_MAX}}, "would leave the clock's range");
  refused({{"advance_ms", INT64_MIN}}, "would leave the clock's range");
  refused({{"advance", "99999999999999999h"}}, "advance");
  refused({{"resume", true}, {"advance_ms", INT64_MAX}}, "would leave");  // not resumed either
  refused({{"set", "2030-01-01T00:00:00Z"}, {"advance_ms", int64_t(8000) * 365 * 24 * 3600 * 1000}}, "would leave");
  // The edges themselves are instants like any other.
  auto edge = emu.post_json("/_emu/time", {{"set", 253402300799999}});
  REQUIRE(edge->status == 200);
  CHECK(body_json(edge)["now"] == "9999-12-31T23:59:59.999Z");
  CHECK(emu.post_json("/_emu/time", {{"advance_ms", 1}})->status == 400);
  CHECK(body_json(emu.post_json("/_emu/time", {{"set", 0}}))["now"] == "1970-01-01T00:00:00.000Z");
  // KV expirations are computed from a clock that never wrapped.
  REQUIRE(emu.put_json("/api/storage/kv/app/k", {{"value", "v"}, {"expirationTtl", 60}})->status == 200);
  CHECK(body_json(emu.get("/api/storage/kv/app/k?metadata=true"))["expiration"] == 60);
}

TEST_CASE("control reset: a request that will not finish makes reset give up, not hang", "[control][reset]") {
  era::Options o;
  o.admin_wait_ms = 400;
  Emu emu(o);
  REQUIRE(emu.put_json("/api/storage/kv/app/keep", {{"value", "v"}})->status == 200);
  // An upload that stalls after 128 KiB: its handler runs (and holds the state shared) while it
  // waits for the rest.
  int fd = connect_loopback(emu.emu->port());
  std::string head = "PUT /api/r2/files/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1048576\r\n\r\n";
  std::string part(128 * 1024, 'x');
  REQUIRE(::send(fd, head.data(), head.size(), MSG_NOSIGNAL) == ssize_t(head.size()));
  REQUIRE(::send(fd, part.data(), part.size(), MSG_NOSIGNAL) == ssize_t(part.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the handler has the body now
  auto t0 = std::chrono::steady_clock::now();
  auto r = emu.post_json("/_emu/reset", json::object());
  auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 503);
  CHECK(body_json(r)["code"] == "STATE_BUSY");
  CHECK(body_json(r)["waited_ms"] == 400);
  CHECK(waited < std::chrono::seconds(5));
  // Nothing was reset, and storage answers again at once.
  CHECK(emu.get("/api/storage/kv/app/keep")->status == 200);
  ::close(fd);
  // With the upload gone, reset goes through.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(emu.post_json("/_emu/reset", json::object())->status == 200);
  CHECK(emu.get("/api/storage/kv/app/keep")->status == 404);
}
