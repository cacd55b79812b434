#include "store/sqlite.h"

#include <catch2/catch.hpp>

#include <algorithm>

#include "support.h"

using namespace era;
using era::store::sqlite::Connection;
using era::store::sqlite::OpenOptions;

// Issue 19: a D1 insert stalled ~40 s behind a checkpoint's fsync while another process filled
// the disk. Without --durability full nothing may wait for fsync (synchronous=OFF: a commit is in
// the page cache, which survives kill -9); with it every commit is synced (FULL).
TEST_CASE("sqlite: synchronous follows the durability asked for", "[store][sqlite]") {
  test::TempDir dir;
  auto sync_of = [&](const char* name, bool durable) {
    OpenOptions o;
    o.durable = durable;
    auto c = Connection::open(dir.path / name, o);
    REQUIRE(c);
    auto s = (*c)->pragma_int("synchronous");
    REQUIRE(s);
    return *s;
  };
  CHECK(sync_of("process.db", false) == 0);  // OFF
  CHECK(sync_of("full.db", true) == 2);      // FULL
}

// Issue 18 item 7: D1's row counts are derived from how often each instruction ran.
TEST_CASE("sqlite: executed_ops lists each instruction that ran and how often", "[store][sqlite]") {
  test::TempDir dir;
  auto c = Connection::open(dir.path / "ops.db", OpenOptions{});
  REQUIRE(c);
  REQUIRE((*c)->exec("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)"));
  size_t next = 0;
  auto st = (*c)->prepare("SELECT x FROM t", 0, next);
  REQUIRE(st);
  REQUIRE(*st);
  int rows = 0;
  for (;;) {
    auto r = (*st)->step();
    REQUIRE(r);
    if (!*r) break;
    ++rows;
  }
  CHECK(rows == 3);
  std::vector<store::sqlite::ExecutedOp> ops;
  auto counted = (*c)->executed_ops(**st, ops);
  REQUIRE(counted);
  REQUIRE(*counted);  // the bundled SQLite counts
  using store::sqlite::Opcode;
  auto find = [&](Opcode o) {
    return std::find_if(ops.begin(), ops.end(), [&](const auto& op) { return op.opcode == o; });
  };
  auto rewind = find(Opcode::Rewind), next_op = find(Opcode::Next), row = find(Opcode::ResultRow);
  REQUIRE(rewind != ops.end());
  REQUIRE(next_op != ops.end());
  REQUIRE(row != ops.end());
  CHECK(rewind->nexec == 1);
  CHECK(next_op->nexec == 3);  // once per row: two steps that found one, the last that did not
  CHECK(row->nexec == 3);
  CHECK(std::all_of(ops.begin(), ops.end(), [](const auto& op) { return op.nexec > 0 && op.program == 0; }));
  // bytecode() itself is not part of the database's SQL.
  auto refused = (*c)->prepare("SELECT * FROM bytecode('SELECT 1')", 0, next);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("no such table: bytecode") != std::string::npos);
}
