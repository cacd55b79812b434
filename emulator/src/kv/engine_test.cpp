// KV engine unit tests: record format, visibility rule, sweep/compaction, authoritative and stale
// views, seeded ("everywhere") writes, namespace isolation, option validation.
#include "kv/engine.h"

#include <catch2/catch.hpp>

#include "store/lmdb.h"
#include "support.h"

using namespace era;
using namespace era::kv;

namespace {

constexpr int64_t kT0 = 1'800'000'000'000;

OpContext at(const std::string& loc, int64_t now_ms) {
  OpContext c;
  c.location = loc;
  c.now_ms = now_ms;
  return c;
}

std::string value_of(const Result<std::optional<Entry>>& r) {
  REQUIRE(r);
  return *r ? (*r)->value : "<miss>";
}

struct Fixture {
  test::TempDir dir;
  std::unique_ptr<store::Lmdb> db;
  std::unique_ptr<Engine> kv;
  Fixture() {
    auto opened = store::Lmdb::open(dir.path, {});
    REQUIRE(opened);
    db = std::move(*opened);
    kv = std::make_unique<Engine>(*db);
  }
  // Records physically present in the kv table.
  size_t records() {
    auto txn = db->begin_read();
    REQUIRE(txn);
    size_t n = 0;
    REQUIRE(txn->scan(store::Table::kv, {}, {}, [&](std::string_view, std::string_view) {
      ++n;
      return true;
    }));
    return n;
  }
  std::optional<RecordView> raw(const std::string& ns, const std::string& key, std::string& keep) {
    auto txn = db->begin_read();
    REQUIRE(txn);
    auto v = txn->get(store::Table::kv, ns + std::string(1, '\0') + key);
    REQUIRE(v);
    if (!*v) return std::nullopt;
    keep.assign(**v);
    return decode_record(keep);
  }
};

}  // namespace

TEST_CASE("kv record: encode/decode round-trips both versions and rejects truncation", "[kv][record]") {
  VersionView cur{.tombstone = false, .everywhere = true, .written_ms = 5, .expiration = 9,
                  .writer = "eu", .metadata = R"({"a":1})", .value = "hello"};
  VersionView prev{.tombstone = true, .everywhere = false, .written_ms = 1, .expiration = 0,
                   .writer = "us", .metadata = "", .value = ""};
  std::string bytes = encode_record(3, cur, &prev);
  auto r = decode_record(bytes);
  REQUIRE(r);
  CHECK(r->created_ms == 3);
  CHECK(r->cur.everywhere);
  CHECK(r->cur.writer == "eu");
  CHECK(r->cur.metadata == R"({"a":1})");
  CHECK(r->cur.value == "hello");
  CHECK(r->cur.expiration == 9);
  REQUIRE(r->prev);
  CHECK(r->prev->tombstone);
  CHECK(r->prev->writer == "us");
  for (size_t cut = 0; cut < bytes.size(); ++cut) CHECK_FALSE(decode_record(bytes.substr(0, cut)));
  CHECK_FALSE(decode_record(bytes + "x"));
  CHECK(decode_record(encode_record(3, cur, nullptr))->prev == std::nullopt);
  // The third slot: an overwritten write still travelling, with or without a prev.
  VersionView own{.tombstone = false, .everywhere = false, .written_ms = 4, .expiration = 0,
                  .writer = "ap", .metadata = "", .value = "mine"};
  for (const VersionView* p : std::initializer_list<const VersionView*>{nullptr, &prev}) {
    std::string with_own = encode_record(3, cur, p, &own);
    auto o = decode_record(with_own);
    REQUIRE(o);
    CHECK(o->prev.has_value() == (p != nullptr));
    REQUIRE(o->own);
    CHECK(o->own->writer == "ap");
    CHECK(o->own->value == "mine");
    CHECK_FALSE(decode_record(with_own.substr(0, with_own.size() - 1)));
  }
}

TEST_CASE("kv record: visibility by location, delay and expiration", "[kv][record]") {
  VersionView prev{.written_ms = 0, .writer = "a", .metadata = {}, .value = "old"};
  VersionView cur{.written_ms = 1000, .expiration = 100, .writer = "a", .metadata = {}, .value = "new"};
  RecordView r{0, cur, prev, std::nullopt};
  auto seen = [&](std::string_view loc, int64_t now, int64_t delay = 60'000, bool auth = false) {
    auto v = visible_version(r, loc, now, delay, auth);
    return v ? std::string(v->value) : std::string("<miss>");
  };
  CHECK(seen("a", 1000) == "new");
  CHECK(seen("b", 60'999) == "old");
  CHECK(seen("b", 61'000) == "new");
  CHECK(seen("b", 1000, 0) == "new");
  CHECK(seen("b", 1000, 60'000, true) == "new");
  CHECK(seen("a", 99'999) == "new");
  CHECK(seen("a", 100'000) == "<miss>");  // expiration 100 s: gone at exactly 100,000 ms
  r.prev.reset();
  CHECK(seen("b", 2000) == "<miss>");
}

TEST_CASE("kv engine: authoritative reads bypass propagation; stale reads serve the previous version",
          "[kv][engine]") {
  Fixture f;
  REQUIRE(f.kv->put(at("a", kT0), "ns", "k", "v1", {}));
  CHECK(value_of(f.kv->get(at("b", kT0), "ns", "k")) == "<miss>");
  CHECK(value_of(f.kv->get_authoritative("ns", "k", kT0)) == "v1");
  auto page = f.kv->list_authoritative("ns", {}, kT0);
  REQUIRE(page);
  CHECK(page->keys.size() == 1);
  REQUIRE(f.kv->put(at("a", kT0 + 60'000), "ns", "k", "v2", {}));
  OpContext stale = at("a", kT0 + 60'000);
  stale.stale = true;
  CHECK(value_of(f.kv->get(stale, "ns", "k")) == "v1");  // even at the writer's location
  CHECK(value_of(f.kv->get(at("a", kT0 + 60'000), "ns", "k")) == "v2");
}

TEST_CASE("kv engine: seeded (everywhere) writes are visible at every location at once", "[kv][engine]") {
  Fixture f;
  PutOptions o;
  o.everywhere = true;
  REQUIRE(f.kv->put(at("local", kT0), "ns", "k", "seed", o));
  CHECK(value_of(f.kv->get(at("far", kT0), "ns", "k")) == "seed");
  CHECK(value_of(f.kv->get(at("other", kT0), "ns", "k")) == "seed");
}

TEST_CASE("kv engine: a bounded sweep looks at a few keys a call, resumes, and wraps round",
          "[kv][engine][sweep]") {
  Fixture f;
  PutOptions ttl;
  ttl.expiration = kT0 / 1000 + 60;
  // 10 keys, every other one expiring at 60 s.
  for (int i = 0; i < 10; ++i)
    REQUIRE(f.kv->put(at("a", kT0), "ns", "k" + std::to_string(i), "v", i % 2 ? PutOptions{} : ttl));
  const int64_t later = kT0 + 60'000;
  PutOptions ttl2;
  ttl2.expiration = later / 1000 + 60;
  // Four keys a call: k0..k3 (2 expired), k4..k7 (2), k8..k9 and the end (1), then from the start.
  CHECK(*f.kv->sweep_expired(later, 4) == 2);
  CHECK(f.records() == 8);
  CHECK(*f.kv->sweep_expired(later, 4) == 2);
  CHECK(*f.kv->sweep_expired(later, 4) == 1);
  CHECK(f.records() == 5);
  CHECK(*f.kv->sweep_expired(later, 4) == 0);  // wrapped: only live keys left
  // A key that expires behind the cursor is reached on the next round.
  REQUIRE(f.kv->put(at("a", later), "ns", "k1", "v", ttl2));
  size_t removed = 0;
  for (int i = 0; i < 3; ++i) removed += *f.kv->sweep_expired(later + 60'000, 4);
  CHECK(removed == 1);
  CHECK(f.records() == 4);
  // Expired keys read as misses whether or not a sweep has reached them yet.
  REQUIRE(f.kv->put(at("a", later), "ns", "k9", "v", ttl2));
  CHECK(value_of(f.kv->get(at("a", later + 60'000), "ns", "k9")) == "<miss>");
  // Unbounded, it still takes everything in one call.
  CHECK(*f.kv->sweep_expired(later + 60'000) == 1);
  CHECK(f.records() == 3);
}

TEST_CASE("kv engine: the sweep removes expired keys and propagated tombstones, compacts old versions",
          "[kv][engine][sweep]") {
  Fixture f;
  PutOptions ttl;
  ttl.expiration = kT0 / 1000 + 60;
  REQUIRE(f.kv->put(at("a", kT0), "ns", "exp", "v", ttl));
  REQUIRE(f.kv->put(at("a", kT0), "ns", "del", "v", {}));
  REQUIRE(f.kv->put(at("a", kT0), "ns", "over", "v1", {}));
  REQUIRE(f.kv->put(at("a", kT0), "ns", "keep", "v", {}));
  CHECK(f.records() == 4);
  CHECK(*f.kv->sweep_expired(kT0 + 59'999) == 0);

  // At 60 s: "exp" expires; the others' first versions have propagated.
  REQUIRE(f.kv->del(at("a", kT0 + 60'000), "ns", "del"));
  REQUIRE(f.kv->put(at("a", kT0 + 60'000), "ns", "over", "v2", {}));
  CHECK(*f.kv->sweep_expired(kT0 + 60'000) == 1);  // exp
  CHECK(f.records() == 3);
  std::string keep;
  CHECK(f.raw("ns", "del", keep)->cur.tombstone);  // still needed: "b" sees v until 120 s
  CHECK(value_of(f.kv->get(at("b", kT0 + 119'999), "ns", "del")) == "v");
  CHECK(f.raw("ns", "over", keep)->prev.has_value());

  CHECK(*f.kv->sweep_expired(kT0 + 120'000) == 1);  // del's tombstone has propagated
  CHECK(f.records() == 2);
  CHECK_FALSE(f.raw("ns", "over", keep)->prev.has_value());  // compacted
  CHECK(value_of(f.kv->get(at("c", kT0 + 120'000), "ns", "over")) == "v2");
  CHECK(value_of(f.kv->get(at("c", kT0 + 120'000), "ns", "keep")) == "v");
}

TEST_CASE("kv engine: deleting a key nobody else has seen leaves no record", "[kv][engine]") {
  Fixture f;
  REQUIRE(f.kv->put(at("a", kT0), "ns", "k", "v", {}));
  REQUIRE(f.kv->del(at("a", kT0 + 1), "ns", "k"));
  CHECK(f.records() == 0);
  REQUIRE(f.kv->del(at("a", kT0 + 2), "ns", "never"));
  CHECK(f.records() == 0);
}

TEST_CASE("kv engine: (a, b:c) and (a:b, c) are different keys", "[kv][engine][isolation]") {
  Fixture f;
  REQUIRE(f.kv->put(at("local", kT0), "a", "b:c", "one", {}));
  REQUIRE(f.kv->put(at("local", kT0), "a:b", "c", "two", {}));
  CHECK(value_of(f.kv->get(at("local", kT0), "a", "b:c")) == "one");
  CHECK(value_of(f.kv->get(at("local", kT0), "a:b", "c")) == "two");
  auto page = f.kv->list(at("local", kT0), "a", {});
  REQUIRE(page);
  REQUIRE(page->keys.size() == 1);
  CHECK(page->keys[0].name == "b:c");
  REQUIRE(f.kv->clear("a"));
  CHECK(value_of(f.kv->get(at("local", kT0), "a:b", "c")) == "two");
}

TEST_CASE("kv engine: option validation", "[kv][engine]") {
  Fixture f;
  CHECK_FALSE(f.kv->set_namespace_options("ns", {59, std::nullopt}));
  CHECK_FALSE(f.kv->set_namespace_options("ns", {std::nullopt, -1}));
  CHECK(f.kv->set_namespace_options("ns", {60, 0}));
  CHECK(f.kv->propagation_delay_ms("ns") == 0);
  CHECK(f.kv->propagation_delay_ms("other") == 60'000);
  CHECK(f.kv->set_namespace_options("ns", {}));  // unset
  CHECK(f.kv->all_namespace_options().empty());
  kv::Options o;
  o.propagation_delay_ms = -5;
  CHECK_FALSE(f.kv->set_options(o));
}

TEST_CASE("kv engine: clear drops cached reads with the data", "[kv][engine][cache]") {
  Fixture f;
  REQUIRE(f.kv->put(at("a", kT0), "ns", "k", "v1", {}));
  CHECK(value_of(f.kv->get(at("b", kT0 + 60'000), "ns", "k")) == "v1");  // cached at b
  REQUIRE(f.kv->clear("ns"));
  PutOptions o;
  o.everywhere = true;
  REQUIRE(f.kv->put(at("a", kT0 + 60'001), "ns", "k", "v2", o));
  CHECK(value_of(f.kv->get(at("b", kT0 + 60'001), "ns", "k")) == "v2");
}
