#include "fixture.h"

using namespace era::client;
using era::client::test::Emu;

TEST_CASE("client d1: exec, query with params, first", "[client][d1]") {
  Emu e;
  auto db = e.client.d1("db");
  REQUIRE_OK(db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, score REAL)"));
  auto meta = db.exec("INSERT INTO users (id, name, score) VALUES (?, ?, ?)", {1, "ada", 9.5});
  REQUIRE_OK(meta);
  CHECK(meta->value("changes", 0) == 1);
  REQUIRE_OK(db.exec("INSERT INTO users (id, name, score) VALUES (?, ?, ?)", {2, "bob", nullptr}));

  auto rows = db.query("SELECT id, name, score FROM users ORDER BY id");
  REQUIRE_OK(rows);
  CHECK(rows->results == json::array({{{"id", 1}, {"name", "ada"}, {"score", 9.5}},
                                      {{"id", 2}, {"name", "bob"}, {"score", nullptr}}}));
  CHECK(rows->meta.contains("duration"));

  auto one = db.first("SELECT name FROM users WHERE id = ?", {2});
  REQUIRE_OK(one);
  REQUIRE(one->has_value());
  CHECK(**one == json{{"name", "bob"}});
  auto none = db.first("SELECT name FROM users WHERE id = ?", {99});
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());
}

TEST_CASE("client d1: SQL errors and batch rollback", "[client][d1][errors]") {
  Emu e;
  auto db = e.client.d1("db");
  auto bad = db.query("SELEC nonsense");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().status == 400);
  CHECK(bad.error().code == "D1_SQL_ERROR");

  REQUIRE_OK(db.exec("CREATE TABLE t (x INTEGER UNIQUE)"));
  auto ok = db.batch({{"INSERT INTO t VALUES (?)", {1}}, {"SELECT x FROM t", json::array()}});
  REQUIRE_OK(ok);
  REQUIRE(ok->size() == 2);
  CHECK((*ok)[1].results == json::array({{{"x", 1}}}));

  auto failed = db.batch({{"INSERT INTO t VALUES (2)", json::array()}, {"INSERT INTO t VALUES (1)", json::array()}});
  REQUIRE_FALSE(failed);
  CHECK(failed.error().details.value("statement_index", -1) == 1);
  auto count = db.first("SELECT COUNT(*) AS n FROM t");
  REQUIRE_OK(count);
  CHECK((**count)["n"] == 1);  // the batch left nothing behind
}
