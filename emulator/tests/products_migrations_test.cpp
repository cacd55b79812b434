// D1 migrations: lexical order, once each (d1_migrations), new files on restart and through
// POST /_emu/migrate, a failing file stops start-up naming it and SQLite's message with the
// earlier files applied, reset re-applies, and `era-emu migrate` offline / refused when locked.

#include <catch2/catch.hpp>

#include "products_support.h"

using namespace era;
using namespace era::test;
using Catch::Matchers::Contains;

namespace {

struct Project {
  TempDir dir;
  std::filesystem::path data = dir.path / "data";
  std::string config;
  Project() {
    std::filesystem::create_directories(dir.path / "migrations");
    config = write_file(dir.path / "era-emu.json", R"({"d1": [{"name": "app", "migrations": "migrations"}]})");
  }
  void migration(const std::string& name, const std::string& sql) { write_file(dir.path / "migrations" / name, sql); }
  Options options() const {
    Options o = with_config(config);
    o.data_dir = data.string();
    return o;
  }
};

json query(Emu& e, const std::string& sql) {
  auto r = e.post_json("/api/storage/d1/app/query", {{"sql", sql}});
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  auto j = body_json(r);
  return j.contains("results") ? j["results"] : j;
}

std::vector<std::string> applied(Emu& e) {
  std::vector<std::string> out;
  auto rows = query(e, "SELECT name FROM d1_migrations ORDER BY id");
  if (rows.is_object() && rows.contains("rows")) rows = rows["rows"];
  for (const auto& r : rows) out.push_back(r["name"]);
  return out;
}

std::string rows_text(Emu& e, const std::string& sql) { return query(e, sql).dump(); }

}  // namespace

TEST_CASE("d1 migrations: lexical order, once each, recorded like wrangler", "[products][migrations]") {
  Project p;
  p.migration("0002_seed.sql", "INSERT INTO users (name) VALUES ('ada');");
  p.migration("0001_users.sql", "-- users\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n");
  p.migration("0003_comments_only.sql", "/* nothing yet */\n");
  p.migration("README.md", "not a migration");
  {
    Emu e(p.options());
    CHECK(applied(e) == std::vector<std::string>{"0001_users.sql", "0002_seed.sql", "0003_comments_only.sql"});
    CHECK_THAT(rows_text(e, "SELECT name FROM users"), Contains("ada"));
    // applied_at comes from the virtual clock.
    CHECK_THAT(rows_text(e, "SELECT applied_at FROM d1_migrations WHERE id = 1"), Contains("2030-01-01 00:00:00"));
  }
  p.migration("0004_email.sql", "ALTER TABLE users ADD COLUMN email TEXT;");
  {
    Emu e(p.options());  // restart: only the new file runs, the seed is not inserted twice
    CHECK(applied(e).size() == 4);
    CHECK_THAT(rows_text(e, "SELECT COUNT(*) AS n FROM users"), Contains("\"n\":1"));
    CHECK_THAT(rows_text(e, "SELECT email FROM users"), Contains("email"));

    // A file added while running: POST /_emu/migrate (what `era-emu migrate --url` sends).
    p.migration("0005_more.sql", "INSERT INTO users (name) VALUES ('grace');");
    auto r = e.post_json("/_emu/migrate", json::object());
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
    auto j = body_json(r);
    CHECK(j["databases"][0]["applied"] == json::array({"0005_more.sql"}));
    CHECK(j["databases"][0]["already_applied"] == 4);
    auto again = body_json(e.post_json("/_emu/migrate", {{"database", "app"}}));
    CHECK(again["databases"][0]["applied"] == json::array());
    CHECK(e.post_json("/_emu/migrate", {{"database", "nope"}})->status == 404);

    // A reset drops the database and migrates it again: back to the start state.
    REQUIRE(e.post_json("/_emu/reset", {{"service", "d1"}})->status == 200);
    CHECK(applied(e).size() == 5);
    CHECK_THAT(rows_text(e, "SELECT COUNT(*) AS n FROM users"), Contains("\"n\":2"));
  }
}

TEST_CASE("d1 migrations: order is by file name bytes, not numbers", "[products][migrations]") {
  Project p;
  // Numerically 1 < 10 and this would fail (no table t yet); in byte order "10_" < "1_b".
  p.migration("10_create.sql", "CREATE TABLE t (v INTEGER);");
  p.migration("1_b_insert.sql", "INSERT INTO t VALUES (1);");
  Emu e(p.options());
  CHECK(applied(e) == std::vector<std::string>{"10_create.sql", "1_b_insert.sql"});
}

TEST_CASE("d1 migrations: a failing file stops start-up, earlier files stay applied", "[products][migrations]") {
  Project p;
  p.migration("0001_ok.sql", "CREATE TABLE a (v INTEGER);");
  p.migration("0002_bad.sql", "CREATE TABLE b (v INTEGER);\nINSERT INTO nowhere VALUES (1);");
  p.migration("0003_later.sql", "CREATE TABLE c (v INTEGER);");
  Options o = p.options();
  o.port = 0;
  auto started = Emulator::start(o);
  REQUIRE_FALSE(started);
  CHECK_THAT(started.error().message, Contains("D1 database \"app\": migration 0002_bad.sql failed"));
  CHECK_THAT(started.error().message, Contains("no such table: nowhere"));

  // Offline: the failure again, exit code 1; then fixed, only 0002 and 0003 run.
  CliResult failed = run_era_emu({"migrate", "--config", p.config, "--data", p.data.string()});
  CHECK(failed.code == 1);
  CHECK_THAT(failed.text, Contains("0002_bad.sql"));
  p.migration("0002_bad.sql", "CREATE TABLE b (v INTEGER);");
  CliResult fixed = run_era_emu({"migrate", "--config", p.config, "--data", p.data.string()});
  INFO(fixed.text);
  CHECK(fixed.code == 0);
  CHECK_THAT(fixed.text, Contains("2 applied, 1 already applied"));
  Emu e(p.options());
  CHECK(applied(e) == std::vector<std::string>{"0001_ok.sql", "0002_bad.sql", "0003_later.sql"});
  CHECK_THAT(rows_text(e, "SELECT name FROM sqlite_master WHERE name = 'b'"), Contains("\"b\""));
}

TEST_CASE("era-emu migrate refuses a data dir a running emulator holds", "[products][migrations]") {
  Project p;
  p.migration("0001.sql", "CREATE TABLE a (v INTEGER);");
  Emu e(p.options());
  CliResult o = run_era_emu({"migrate", "--config", p.config, "--data", p.data.string()});
  CHECK(o.code == 1);
  CHECK_THAT(o.text, Contains("locked by another running era-emu"));
  CHECK_THAT(o.text, Contains("--url"));
  CliResult online = run_era_emu({"migrate", "--url", e.emu->url(), "--json"});
  INFO(online.text);
  CHECK(online.code == 0);
  CHECK_THAT(online.text, Contains("\"already_applied\": 1"));
}
