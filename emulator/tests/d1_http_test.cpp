// D1 through the ERA HTTP API: routes, bodies, statuses and error shapes (docs/api-d1.md).
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "support.h"

using namespace era;
using namespace era::test;

namespace {

json query(Emu& e, const std::string& ns, const std::string& sql, json params = json::array(),
           int expect = 200) {
  auto r = e.post_json("/api/storage/d1/" + ns + "/query", {{"sql", sql}, {"params", params}});
  REQUIRE(r);
  INFO(sql << " -> " << r->body);
  REQUIRE(r->status == expect);
  return body_json(r);
}

}  // namespace

TEST_CASE("d1 http: query returns rows and D1 meta", "[d1][http]") {
  Emu e;
  query(e, "app", "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, score REAL, pic BLOB)");
  auto ins = query(e, "app", "INSERT INTO users (name, score, pic) VALUES (?, ?, ?)",
                   json::array({"Zoë", 2.5, json::array({1, 2, 3})}));
  CHECK(ins["success"] == true);
  CHECK(ins["results"] == json::array());
  CHECK(ins["meta"]["changes"] == 1);
  CHECK(ins["meta"]["last_row_id"] == 1);
  CHECK(ins["meta"]["changed_db"] == true);
  CHECK(ins["meta"]["rows_written"] == 1);

  auto r = query(e, "app", "SELECT id, name, score, pic, NULL AS none FROM users");
  REQUIRE(r["results"].size() == 1);
  const json& row = r["results"][0];
  CHECK(row["id"].is_number_integer());
  CHECK(row["name"] == "Zoë");
  CHECK(row["score"] == 2.5);
  CHECK(row["pic"] == json::array({1, 2, 3}));
  CHECK(row["none"].is_null());
  const json& m = r["meta"];
  for (auto k : {"changes", "last_row_id", "duration", "rows_read", "rows_written", "changed_db",
                 "size_after", "served_by", "served_by_region", "served_by_primary", "timings",
                 "total_attempts"})
    CHECK(m.contains(k));
  CHECK(m["served_by"] == "era-emu");
  CHECK(m["served_by_primary"] == true);
  CHECK(m["duration"].is_number());
  CHECK(m["timings"]["sql_duration_ms"].is_number());
  CHECK(m["total_attempts"] == 1);
  CHECK(m["size_after"].get<int64_t>() > 0);
  // Column order is the SELECT's order on the wire.
  auto raw = e.post_json("/api/storage/d1/app", {{"sql", "SELECT 2 AS b, 1 AS a"}});
  REQUIRE(raw);
  CHECK(raw->body.find(R"([{"b":2,"a":1}])") != std::string::npos);
}

TEST_CASE("d1 http: /api/storage/d1/{ns} without an op is query; GET query works", "[d1][http]") {
  Emu e;
  auto r = e.post_json("/api/storage/d1/app", {{"sql", "SELECT 1 AS one"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(body_json(r)["results"][0]["one"] == 1);
  auto g = e.get("/api/storage/d1/app/query?sql=SELECT%20%3F%20AS%20x&params=%5B7%5D");
  REQUIRE(g);
  CHECK(g->status == 200);
  CHECK(body_json(g)["results"][0]["x"] == 7);
}

TEST_CASE("d1 http: exec returns meta only, with count for several statements", "[d1][http]") {
  Emu e;
  auto r = e.post_json("/api/storage/d1/app/exec",
                       {{"sql", "CREATE TABLE t (x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);"}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json j = body_json(r);
  CHECK(j["success"] == true);
  CHECK_FALSE(j.contains("results"));
  CHECK(j["meta"]["count"] == 3);
  CHECK(j["meta"]["changes"] == 2);
  CHECK(j["meta"]["duration"].is_number());

  auto bad = e.post_json("/api/storage/d1/app/exec",
                         {{"sql", "INSERT INTO t VALUES (3); INSERT INTO missing VALUES (4)"}});
  REQUIRE(bad);
  CHECK(bad->status == 400);
  json b = body_json(bad);
  CHECK(b["statement_index"] == 1);
  CHECK_THAT(b["details"].get<std::string>(), Catch::StartsWith("D1_ERROR: no such table: missing") && Catch::EndsWith(": SQLITE_ERROR"));
  // All or nothing, as D1 (issue 18, item 1): the INSERT before the failing one is undone.
  CHECK(query(e, "app", "SELECT count(*) AS n FROM t")["results"][0]["n"] == 2);

  // The issue's case: a UNIQUE violation in the third statement leaves no row at all.
  query(e, "app", "CREATE TABLE u (v TEXT UNIQUE)");
  auto dup = e.post_json("/api/storage/d1/app/exec",
                         {{"sql", "INSERT INTO u VALUES ('x'); INSERT INTO u VALUES ('y'); INSERT INTO u VALUES ('x')"}});
  CHECK(dup->status == 400);
  CHECK(body_json(dup)["statement_index"] == 2);
  CHECK(query(e, "app", "SELECT count(*) AS n FROM u")["results"][0]["n"] == 0);
}

// workerd's SQLite limits (src/workerd/util/sqlite.c++: SQLITE_LIMIT_COMPOUND_SELECT 5,
// SQLITE_LIMIT_EXPR_DEPTH 100), which D1 shares (issue 18, item 2).
TEST_CASE("d1 http: compound SELECT is limited to 5 terms, expressions to depth 100", "[d1][http][limits]") {
  Emu e;
  std::string five = "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5";
  CHECK(query(e, "lim", five)["results"].size() == 5);
  auto six = e.post_json("/api/storage/d1/lim/query", {{"sql", five + " UNION ALL SELECT 6"}});
  CHECK(six->status == 400);
  CHECK_THAT(body_json(six)["details"].get<std::string>(), Catch::Contains("too many terms in compound SELECT"));
  std::string deep = "SELECT 1";
  for (int i = 0; i < 150; ++i) deep += " + 1";
  auto d = e.post_json("/api/storage/d1/lim/query", {{"sql", deep}});
  CHECK(d->status == 400);
  CHECK_THAT(body_json(d)["details"].get<std::string>(), Catch::Contains("Expression tree is too large"));
  std::string ok = "SELECT 1";
  for (int i = 0; i < 50; ++i) ok += " + 1";
  CHECK(query(e, "lim", ok + " AS n")["results"][0]["n"] == 51);
}

TEST_CASE("d1 http: SQL errors are 400 with D1's text in details", "[d1][http][errors]") {
  Emu e;
  auto r = e.post_json("/api/storage/d1/app/query", {{"sql", "SELECT * FROM nowhere"}});
  REQUIRE(r);
  CHECK(r->status == 400);
  json j = body_json(r);
  CHECK(j["error"] == "D1 query failed");
  CHECK(j["code"] == "D1_SQL_ERROR");
  CHECK_THAT(j["details"].get<std::string>(), Catch::StartsWith("D1_ERROR: no such table: nowhere") && Catch::EndsWith(": SQLITE_ERROR"));
}

TEST_CASE("d1 http: bad requests get a clear 4xx", "[d1][http][errors]") {
  Emu e;
  auto post = [&](const std::string& path, const std::string& body) {
    auto r = e.send("POST", path, body, {{"Content-Type", "application/json"}});
    REQUIRE(r);
    return std::make_pair(r->status, body_json(r));
  };
  auto [s1, missing] = post("/api/storage/d1/app/query", R"({"params": []})");
  CHECK(s1 == 400);
  CHECK(missing["code"] == "D1_MISSING_SQL");
  auto [s2, notstr] = post("/api/storage/d1/app/query", R"({"sql": 5})");
  CHECK(s2 == 400);
  CHECK(notstr["code"] == "D1_MISSING_SQL");
  auto [s3, params] = post("/api/storage/d1/app/query", R"({"sql": "SELECT ?", "params": {"a": 1}})");
  CHECK(s3 == 400);
  CHECK(params["code"] == "INVALID_BODY");
  CHECK(params["details"].get<std::string>().find("params") != std::string::npos);
  auto [s4, badjson] = post("/api/storage/d1/app/query", R"({"sql": )");
  CHECK(s4 == 400);
  CHECK(badjson["code"] == "INVALID_JSON");
  auto [s5, op] = post("/api/storage/d1/app/frobnicate", R"({"sql": "SELECT 1"})");
  CHECK(s5 == 400);
  CHECK(op["error"] == "Invalid operation");
  CHECK(op["code"] == "D1_INVALID_OPERATION");
  auto [s6, obj] = post("/api/storage/d1/app/query", R"({"sql": "SELECT ?", "params": [{"x": 1}]})");
  CHECK(s6 == 400);
  CHECK(obj["code"] == "D1_TYPE_ERROR");
  CHECK(obj["details"] == "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'");
  // A number past 2^53 is what JSON.parse makes of it (the nearest double), bound as REAL.
  auto [s7, big] = post("/api/storage/d1/app/query", R"({"sql": "SELECT ? AS n, typeof(?) AS t", "params": [9007199254740993, 3]})");
  CHECK(s7 == 200);
  CHECK(big["results"][0]["n"] == 9007199254740992LL);
  CHECK(big["results"][0]["t"] == "real");
  auto [s8, ns] = post("/api/storage/d1/bad.ns/query", R"({"sql": "SELECT 1"})");
  CHECK(s8 == 400);
  CHECK(ns["code"] == "INVALID_NAMESPACE");

  for (const char* method : {"PUT", "DELETE", "PATCH"}) {
    auto r = e.send(method, "/api/storage/d1/app/query", R"({"sql":"SELECT 1"})");
    REQUIRE(r);
    CHECK(r->status == 405);
  }
}

TEST_CASE("d1 http: params map booleans, nulls, blobs and numbers", "[d1][http][types]") {
  Emu e;
  auto r = query(e, "app", "SELECT ? AS t, ? AS f, ? AS n, ? AS b, ? AS i, ? AS r, typeof(?) AS ty",
                 json::array({true, false, nullptr, json::array({0, 255}), 42, 0.5, json::array({9})}));
  const json& row = r["results"][0];
  CHECK(row["t"] == 1);
  CHECK(row["f"] == 0);
  CHECK(row["n"].is_null());
  CHECK(row["b"] == json::array({0, 255}));
  CHECK(row["i"] == 42);
  CHECK(row["r"] == 0.5);
  CHECK(row["ty"] == "blob");
}

TEST_CASE("d1 http: batch is all-or-nothing and names the failing statement", "[d1][http][batch]") {
  Emu e;
  query(e, "app", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
  json stmts = json::array({{{"sql", "INSERT INTO t (v) VALUES (?)"}, {"params", {"a"}}},
                            {{"sql", "INSERT INTO t (v) VALUES (?)"}, {"params", {"b"}}},
                            {{"sql", "INSERT INTO t (v) VALUES (?)"}, {"params", {"a"}}}});
  auto bad = e.post_json("/api/storage/d1/app/batch", {{"statements", stmts}});
  REQUIRE(bad);
  CHECK(bad->status == 400);
  json b = body_json(bad);
  CHECK(b["statement_index"] == 2);
  CHECK(b["details"] == "D1_ERROR: UNIQUE constraint failed: t.v: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)");
  CHECK(query(e, "app", "SELECT count(*) AS n FROM t")["results"][0]["n"] == 0);

  stmts[2] = {{"sql", "SELECT v FROM t ORDER BY id"}};
  auto ok = e.post_json("/api/storage/d1/app/batch", {{"statements", stmts}});
  REQUIRE(ok);
  REQUIRE(ok->status == 200);
  json j = body_json(ok);
  CHECK(j["success"] == true);
  REQUIRE(j["results"].size() == 3);
  CHECK(j["results"][0]["meta"]["changes"] == 1);
  CHECK(j["results"][2]["results"] == json::array({{{"v", "a"}}, {{"v", "b"}}}));

  auto shape = e.post_json("/api/storage/d1/app/batch", {{"statements", "SELECT 1"}});
  REQUIRE(shape);
  CHECK(shape->status == 400);
  auto nosql = e.post_json("/api/storage/d1/app/batch", {{"statements", json::array({json::object()})}});
  REQUIRE(nosql);
  CHECK(nosql->status == 400);
  CHECK(body_json(nosql)["statement_index"] == 0);
  auto empty = e.post_json("/api/storage/d1/app/batch", {{"statements", json::array()}});
  REQUIRE(empty);
  CHECK(empty->status == 400);
}

TEST_CASE("d1 http: refused statements use D1's wording", "[d1][http][auth]") {
  Emu e;
  auto r = e.post_json("/api/storage/d1/app/exec", {{"sql", "BEGIN TRANSACTION"}});
  REQUIRE(r);
  CHECK(r->status == 400);
  json j = body_json(r);
  CHECK(j["code"] == "D1_NOT_AUTHORIZED");
  CHECK(j["details"].get<std::string>().starts_with(
      "D1_ERROR: To execute a transaction, please use the state.storage.transaction() or "
      "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT "
      "statements."));
  auto a = e.post_json("/api/storage/d1/app/query", {{"sql", "ATTACH DATABASE '/tmp/x.db' AS x"}});
  REQUIRE(a);
  CHECK(a->status == 400);
  CHECK(body_json(a)["details"] == "D1_ERROR: not authorized: SQLITE_AUTH");
}

TEST_CASE("d1 http: 'now' follows the virtual clock", "[d1][http][clock]") {
  Emu e;
  auto t = e.post_json("/_emu/time", {{"freeze", true}, {"set", "2030-01-01T00:00:00Z"}});
  REQUIRE(t);
  REQUIRE(t->status == 200);
  auto r = query(e, "app", "SELECT datetime('now') AS now, CURRENT_TIMESTAMP AS ts, date('now') AS d");
  CHECK(r["results"][0]["now"] == "2030-01-01 00:00:00");
  CHECK(r["results"][0]["ts"] == "2030-01-01 00:00:00");
  CHECK(r["results"][0]["d"] == "2030-01-01");
  REQUIRE(e.post_json("/_emu/time", {{"advance_ms", 86'400'000}}));
  CHECK(query(e, "app", "SELECT strftime('%Y-%m-%d %H:%M', 'now') AS s")["results"][0]["s"] ==
        "2030-01-02 00:00");
}

TEST_CASE("d1 http: namespaces are separate databases", "[d1][http][isolation]") {
  Emu e;
  query(e, "one", "CREATE TABLE items (v)");
  query(e, "two", "CREATE TABLE items (v)");
  query(e, "one", "INSERT INTO items VALUES ('from one')");
  CHECK(query(e, "one", "SELECT * FROM items")["results"].size() == 1);
  CHECK(query(e, "two", "SELECT * FROM items")["results"].empty());
  query(e, "two", "DROP TABLE items");
  CHECK(query(e, "one", "SELECT * FROM items")["results"].size() == 1);
  // Quoted names, CTEs and sqlite_master need no rewriting.
  auto r = query(e, "one", R"(WITH x AS (SELECT v FROM "items") SELECT count(*) AS n FROM x)");
  CHECK(r["results"][0]["n"] == 1);
  auto m = query(e, "one", "SELECT name FROM sqlite_master WHERE type = 'table'");
  CHECK(m["results"] == json::array({{{"name", "items"}}}));
}

TEST_CASE("d1 http: the SDK blog example runs as written", "[d1][http][example]") {
  Emu e;
  auto created = e.post_json("/api/storage/d1/blog/exec",
                             {{"sql", "CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY "
                                      "AUTOINCREMENT, title TEXT NOT NULL, content TEXT, created_at "
                                      "DATETIME DEFAULT CURRENT_TIMESTAMP)"},
                              {"params", json::array()}});
  REQUIRE(created);
  CHECK(created->status == 200);
  query(e, "blog", "INSERT INTO posts (title, content) VALUES (?, ?)",
        json::array({"Hello World", "This is my first post"}));
  auto r = query(e, "blog", "SELECT * FROM posts ORDER BY created_at DESC");
  REQUIRE(r["results"].size() == 1);
  CHECK(r["results"][0]["title"] == "Hello World");
  auto again = e.post_json("/api/storage/d1/blog/exec",
                           {{"sql", "CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY)"}});
  REQUIRE(again);
  CHECK(again->status == 200);
}

TEST_CASE("d1 http: data survives a restart on the same data dir", "[d1][http][durability]") {
  TempDir dir;
  {
    Emu e(Emu::on_dir(dir.path.string()));
    query(e, "app", "CREATE TABLE t (x)");
    query(e, "app", "INSERT INTO t VALUES (42)");
  }
  Emu e(Emu::on_dir(dir.path.string()));
  CHECK(query(e, "app", "SELECT x FROM t")["results"][0]["x"] == 42);
}

namespace {
const char* kForever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c";
}

TEST_CASE("d1 http: a query past --d1-query-timeout is a 400 naming the timeout", "[d1][http][timeout]") {
  Options o;
  o.d1_query_timeout_ms = 300;
  Emu e(o);
  auto b = query(e, "app", kForever, json::array(), 400);
  CHECK(b["code"] == "D1_QUERY_TIMEOUT");
  CHECK(b["timeout_ms"] == 300);
  CHECK(b["details"] == "D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.");
  // The database answers the next query at once.
  CHECK(query(e, "app", "SELECT 1 AS one")["results"][0]["one"] == 1);
}

TEST_CASE("d1 http: a reset does not wait for a long query; it stops it", "[d1][http][timeout]") {
  Emu e;  // the default 30 s query timeout
  query(e, "app", "CREATE TABLE t (x)");
  std::optional<std::pair<int, json>> slow;
  std::thread t([&] {
    httplib::Client c("127.0.0.1", e.emu->port());
    c.set_read_timeout(60, 0);
    auto r = c.Post("/api/storage/d1/app/query", json{{"sql", std::string("INSERT INTO t VALUES (1); ") + kForever}}.dump(),
                    "application/json");
    if (r) slow.emplace(r->status, json::parse(r->body, nullptr, false));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the query runs
  auto t0 = std::chrono::steady_clock::now();
  auto reset = e.post_json("/_emu/reset", json::object());
  auto waited = std::chrono::steady_clock::now() - t0;
  t.join();
  REQUIRE(reset);
  CHECK(reset->status == 200);
  CHECK(waited < std::chrono::seconds(5));  // not the 30 s the query had left
  REQUIRE(slow);
  CHECK(slow->first == 503);
  CHECK(slow->second["code"] == "D1_INTERRUPTED");
  CHECK(query(e, "app", "SELECT name FROM sqlite_schema")["results"] == json::array());  // reset happened
}

TEST_CASE("d1 http: stopping the emulator does not wait for a long query", "[d1][http][timeout]") {
  Emu e;
  std::thread t([&] {
    httplib::Client c("127.0.0.1", e.emu->port());
    c.set_read_timeout(60, 0);
    c.Post("/api/storage/d1/app/query", json{{"sql", kForever}}.dump(), "application/json");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto t0 = std::chrono::steady_clock::now();
  e.emu->stop();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1500));
  t.join();
}

TEST_CASE("d1 http: ?resultsFormat=ROWS_AND_COLUMNS keeps duplicate columns and names empty results", "[d1][http]") {
  Emu e;
  query(e, "rc", "CREATE TABLE a (id INTEGER, v TEXT); CREATE TABLE b (id INTEGER); INSERT INTO a VALUES (1, 'x'); INSERT INTO b VALUES (2)");
  auto r = e.post_json("/api/storage/d1/rc/query?resultsFormat=ROWS_AND_COLUMNS", {{"sql", "SELECT a.id, b.id, a.v FROM a, b"}});
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["results"] == json::parse(R"({"columns": ["id", "id", "v"], "rows": [[1, 2, "x"]]})"));
  auto empty = e.post_json("/api/storage/d1/rc/query?resultsFormat=ROWS_AND_COLUMNS", {{"sql", "SELECT v FROM a WHERE id = 9"}});
  CHECK(body_json(empty)["results"] == json::parse(R"({"columns": ["v"], "rows": []})"));
  auto batch = e.post_json("/api/storage/d1/rc/batch?resultsFormat=ROWS_AND_COLUMNS",
                           {{"statements", {{{"sql", "SELECT id FROM a"}}, {{"sql", "UPDATE a SET v = 'y'"}}}}});
  auto b = body_json(batch);
  CHECK(b["results"][0]["results"] == json::parse(R"({"columns": ["id"], "rows": [[1]]})"));
  CHECK(b["results"][1]["results"] == json::parse(R"({"columns": [], "rows": []})"));
  // The default stays the ERA shape; anything else is refused by name.
  CHECK(query(e, "rc", "SELECT id FROM a")["results"] == json::parse(R"([{"id": 1}])"));
  auto bad = e.post_json("/api/storage/d1/rc/query?resultsFormat=NONE", {{"sql", "SELECT 1"}});
  CHECK(bad->status == 400);
  CHECK(body_json(bad)["error"].get<std::string>().find("resultsFormat") != std::string::npos);
}
