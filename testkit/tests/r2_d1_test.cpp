#include <catch2/catch.hpp>

#include "era/testkit/catch2.h"
#include "era/testkit/emulator.h"

using namespace era::testkit;
using namespace era::testkit::matchers;

TEST_CASE("testkit r2: object matchers read bodies and metadata", "[testkit][r2]") {
  auto emu = Emulator::start();
  era::client::R2PutOptions o;
  o.http_metadata.content_type = "text/plain";
  o.custom_metadata = {{"owner", "ada"}};
  emu.r2("files").put("docs/a.txt", "hello", o);
  REQUIRE_THAT(emu.r2("files"), HasObject("docs/a.txt").WithBody("hello").WithSize(5));
  REQUIRE_THAT(emu.r2("files"), HasObject("docs/a.txt").WithContentType("text/plain").WithMetadata("owner", "ada"));
  REQUIRE_THAT(emu.r2("files"), !HasObject("docs/a.txt").WithBody("bye"));
  REQUIRE_THAT(emu.r2("files"), LacksObject("docs/b.txt"));
  CHECK(Catch::Detail::stringify(emu.r2("files")) == "r2 files: docs/a.txt(5 B, text/plain)[meta owner=ada]");

  auto m = HasObject("docs/a.txt").WithBody("bye");
  CHECK_FALSE(m.match(emu.r2("files")));
  CHECK(m.describe() == "has object \"docs/a.txt\" with body bye (but its body is hello)");
}

TEST_CASE("testkit d1: row matchers and failure messages", "[testkit][d1]") {
  auto emu = Emulator::start();
  auto db = emu.d1("db");
  db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)");
  db.exec("INSERT INTO users (id, name) VALUES (?, ?)", {1, "ada"});
  REQUIRE_THAT(db, HasTable("users"));
  REQUIRE_THAT(db, HasRows("users", {{{"id", 1}, {"name", "ada"}}}));
  REQUIRE_THAT(db, !HasRow("users", {{"name", "bob"}}));
  CHECK(db.dump() == "d1 db: users(1 rows)");

  Check c = d1_has_row(db, "users", {{"name", "bob"}});
  CHECK_FALSE(c);
  CHECK(c.message() == "expected d1 db to have a row {\"name\":\"bob\"} in table users, but no row matches\n"
                       "  d1 db.users: {\"id\":1,\"name\":\"ada\"}");
}
