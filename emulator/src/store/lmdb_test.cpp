#include "store/lmdb.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <thread>

#include "support.h"

using namespace era;
using era::store::Lmdb;
using era::store::Table;

namespace {

std::vector<std::string> scan_all(Lmdb& db, const std::string& prefix, const std::string& after = {}) {
  auto txn = db.begin_read();
  REQUIRE(txn);
  std::vector<std::string> keys;
  REQUIRE(txn->scan(Table::kv, prefix, after, [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  }));
  return keys;
}

void put(Lmdb& db, const std::string& k, const std::string& v) {
  auto txn = db.begin_write();
  REQUIRE(txn);
  REQUIRE(txn->put(Table::kv, k, v));
  REQUIRE(txn->commit());
}

}  // namespace

TEST_CASE("lmdb: keys longer than LMDB's 511-byte cap round-trip exactly", "[store][lmdb]") {
  test::TempDir dir;
  auto db = Lmdb::open(dir.path, {});
  REQUIRE(db);
  for (size_t n : {1u, 478u, 479u, 480u, 510u, 511u, 512u, 513u, 1023u, 1024u, 1025u, 4000u}) {
    std::string k(n, 'k');
    put(**db, k, "v" + std::to_string(n));
  }
  auto txn = (*db)->begin_read();
  REQUIRE(txn);
  for (size_t n : {1u, 478u, 479u, 480u, 510u, 511u, 512u, 513u, 1023u, 1024u, 1025u, 4000u}) {
    auto v = txn->get(Table::kv, std::string(n, 'k'));
    REQUIRE(v);
    REQUIRE(*v);
    CHECK(**v == "v" + std::to_string(n));
  }
  auto missing = txn->get(Table::kv, std::string(600, 'k'));
  REQUIRE(missing);
  CHECK_FALSE(*missing);
}

TEST_CASE("lmdb: scan yields exact byte order even when long keys share their first 479 bytes",
          "[store][lmdb]") {
  test::TempDir dir;
  auto db = Lmdb::open(dir.path, {});
  REQUIRE(db);
  std::string base(479, 'a');
  std::vector<std::string> keys = {
      "p/" + base + "z",   "p/" + base + "b",   "p/" + base + "a", "p/" + base,
      "p/" + base + "aa",  "p/" + base + std::string(600, 'c'), "p/short", "p/" + base + "\x01",
      "p/" + base + "\xff", "p/" + std::string(1024, 'b'), "q/" + base + "a"};
  std::mt19937 rng(7);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (const auto& k : keys) put(**db, k, "x");

  std::vector<std::string> expected;
  for (const auto& k : keys)
    if (k.starts_with("p/")) expected.push_back(k);
  std::sort(expected.begin(), expected.end());
  CHECK(scan_all(**db, "p/") == expected);

  // Resuming after any key continues in the same order.
  for (size_t i = 0; i < expected.size(); ++i) {
    auto rest = scan_all(**db, "p/", expected[i]);
    CHECK(rest == std::vector<std::string>(expected.begin() + i + 1, expected.end()));
  }
}

TEST_CASE("lmdb: erase_prefix removes exactly the prefixed keys", "[store][lmdb]") {
  test::TempDir dir;
  auto db = Lmdb::open(dir.path, {});
  REQUIRE(db);
  put(**db, std::string("a\0x", 3), "1");
  put(**db, std::string("a\0", 2) + std::string(700, 'y'), "2");
  put(**db, std::string("ab\0x", 4), "3");
  auto txn = (*db)->begin_write();
  REQUIRE(txn);
  auto n = txn->erase_prefix(Table::kv, std::string("a\0", 2));
  REQUIRE(n);
  CHECK(*n == 2);
  REQUIRE(txn->commit());
  CHECK(scan_all(**db, "") == std::vector<std::string>{std::string("ab\0x", 4)});
}

TEST_CASE("lmdb: scanning everything from an empty prefix works on empty and full tables",
          "[store][lmdb]") {
  test::TempDir dir;
  auto db = Lmdb::open(dir.path, {});
  REQUIRE(db);
  CHECK(scan_all(**db, "").empty());
  put(**db, "b", "2");
  put(**db, "a", "1");
  CHECK(scan_all(**db, "") == std::vector<std::string>{"a", "b"});
}

// Group commit (issue 19): concurrent write()s share commits, each acknowledged write is in the
// file, and a write that fails leaves nothing behind even when it shared a batch with others.
TEST_CASE("lmdb: group commit keeps every acknowledged write and none of a failed one",
          "[store][lmdb]") {
  test::TempDir dir;
  auto db = Lmdb::open(dir.path, {});
  REQUIRE(db);
  constexpr int kThreads = 8, kEach = 400;
  std::atomic<int> acked{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
        bool bad = i % 7 == 3;  // writes a row, then fails: the row must not survive
        auto st = (*db)->write([&](store::Txn& txn) -> Status {
          ERA_TRY(txn.put(Table::kv, key, "v" + key));
          // Each write also bumps a shared counter: lost updates would show in its final value.
          auto n = txn.get(Table::kv, "counter");
          if (!n) return fail(n.error());
          int cur = n->has_value() ? std::stoi(std::string(**n)) : 0;
          ERA_TRY(txn.put(Table::kv, "counter", std::to_string(cur + 1)));
          if (bad) return fail(Code::BAD_REQUEST, "refused on purpose");
          return {};
        });
        (st ? acked : refused)++;
        if (bad) CHECK_FALSE(st);
        else CHECK(st);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(acked + refused == kThreads * kEach);
  // Reopen: what was acknowledged is in the file, what failed is not.
  db->reset();
  auto again = Lmdb::open(dir.path, {});
  REQUIRE(again);
  auto txn = (*again)->begin_read();
  REQUIRE(txn);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
      auto v = txn->get(Table::kv, key);
      REQUIRE(v);
      if (i % 7 == 3) CHECK_FALSE(v->has_value());
      else CHECK(v->value_or("") == "v" + key);
    }
  }
  auto counter = txn->get(Table::kv, "counter");
  REQUIRE(counter);
  REQUIRE(counter->has_value());
  CHECK(std::stoi(std::string(**counter)) == acked.load());
}
