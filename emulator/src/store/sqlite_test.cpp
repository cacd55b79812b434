#include "store/sqlite.h"

#include <catch2/catch.hpp>

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
