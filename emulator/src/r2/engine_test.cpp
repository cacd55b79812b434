// Unit tests of the R2 engine without HTTP: record encoding, conditionals, ranges, listing,
// multipart rules (with a small minimum part size), sweeps and clearing.
#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

#include "core/crypto.h"
#include "r2/conditional.h"
#include "r2/engine.h"
#include "r2/internal.h"
#include "r2/range.h"
#include "store/blob_store.h"
#include "store/lmdb.h"
#include "store/paths.h"
#include "support.h"

using namespace era;
using namespace era::r2;

namespace {

struct Rig {
  test::TempDir dir;
  store::Paths paths{dir.path};
  std::unique_ptr<store::Lmdb> db;
  std::unique_ptr<store::BlobStore> blobs;
  std::unique_ptr<Engine> engine;
  OpContext ctx{1'700'000'000'000, "local"};

  explicit Rig(EngineOptions o = small()) { open(o); }
  static EngineOptions small() {
    EngineOptions o;
    o.min_part_bytes = 4;
    o.max_put_bytes = 64;
    o.inline_body_bytes = 0;  // every body a file: most cases here count blob files
    return o;
  }
  void open(EngineOptions o = small()) {
    engine.reset();
    blobs.reset();
    db.reset();
    db = std::move(*store::Lmdb::open(paths.lmdb_dir(), {}));
    blobs = std::make_unique<store::BlobStore>(paths, false);
    REQUIRE(blobs->init());
    engine = std::make_unique<Engine>(*db, *blobs, o);
  }
  ObjectMeta put(std::string_view key, std::string_view data, PutOptions o = {}) {
    auto r = engine->put_bytes(ctx, "b", key, data, o);
    INFO((r ? "" : r.error().message));
    REQUIRE(r);
    return *r;
  }
  std::string read(std::string_view key) {
    auto r = engine->get(ctx, "b", key, {});
    REQUIRE(r);
    REQUIRE(*r);
    std::string out((*r)->meta.size, '\0');
    REQUIRE((*r)->body->read_at(0, out.data(), out.size()).value() == out.size());
    return out;
  }
  size_t blob_files() {
    size_t n = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(paths.blobs_dir()))
      if (e.is_regular_file()) ++n;
    return n;
  }
};

std::string keys(const ListResult& r) {
  std::string out;
  for (const auto& o : r.objects) out += (out.empty() ? "" : " ") + o.key;
  for (const auto& p : r.delimited_prefixes) out += " [" + p + "]";
  return out;
}

}  // namespace

TEST_CASE("r2 record: encode/decode round trip keeps every field", "[r2][unit]") {
  ObjectMeta m;
  m.blob = "abcd";
  m.size = 12345678901ull;
  m.etag = "0123456789abcdef0123456789abcdef-3";
  m.version = "v";
  m.uploaded_ms = 1;
  m.created_ms = -2;
  m.parts = 3;
  m.http.content_type = "text/plain";
  m.http.cache_control = "";
  m.http.cache_expiry_ms = 99;
  m.custom = {{"a", "1"}, {std::string("z\0y", 3), "\xff"}};
  m.checksums.md5 = std::string(16, '\1');
  m.checksums.sha256 = std::string(32, '\2');
  auto d = decode_object(encode_object(m));
  REQUIRE(d);
  CHECK(d->blob == m.blob);
  CHECK(d->size == m.size);
  CHECK(d->etag == m.etag);
  CHECK(d->created_ms == -2);
  CHECK(d->parts == 3);
  CHECK(d->http.content_type == "text/plain");
  CHECK(d->http.cache_control == "");
  CHECK_FALSE(d->http.content_language);
  CHECK(d->http.cache_expiry_ms == 99);
  CHECK(d->custom == m.custom);
  CHECK(d->checksums.md5 == m.checksums.md5);
  CHECK(d->checksums.sha1.empty());
  CHECK_FALSE(decode_object(encode_object(m).substr(1)));
  CHECK_FALSE(decode_object(encode_object(m) + "x"));
}

TEST_CASE("r2 record: an inline body round-trips as v5; a truncated or inconsistent one is refused",
          "[r2][unit]") {
  ObjectMeta m;
  m.size = 5;
  m.etag = core::to_hex(core::md5("hello"));
  m.version = "v";
  m.inline_body = "hello";
  m.http.content_type = "text/plain";
  m.custom["a"] = "b";
  m.checksums.md5 = core::md5("hello");
  const std::string rec = encode_object(m);
  CHECK(rec[0] == 5);
  auto d = decode_object(rec);
  REQUIRE(d);
  CHECK(d->inline_body == "hello");
  CHECK(d->blob.empty());
  CHECK(d->http.content_type == "text/plain");
  CHECK(d->custom == m.custom);
  CHECK(d->checksums.md5 == m.checksums.md5);
  for (size_t n = 0; n < rec.size(); ++n) CHECK_FALSE(decode_object(rec.substr(0, n)));
  auto meta_only = decode_object(rec, false);  // what scans use: checked, not copied
  REQUIRE(meta_only);
  CHECK_FALSE(meta_only->inline_body);
  CHECK(meta_only->blob.empty());
  CHECK(meta_only->size == 5);
  for (size_t n = 0; n < rec.size(); ++n) CHECK_FALSE(decode_object(rec.substr(0, n), false));
  m.size = 6;  // the record's size must be the body's
  CHECK_FALSE(decode_object(encode_object(m)));
  // A record without one (every earlier version) decodes with no inline body: a file.
  m.inline_body.reset();
  m.blob = "id";
  auto f = decode_object(encode_object(m));
  REQUIRE(f);
  CHECK_FALSE(f->inline_body);
  CHECK(f->blob == "id");
}

TEST_CASE("r2 conditional: matrix of If-Match/If-None-Match/dates", "[r2][unit][conditional]") {
  ObjectMeta m;
  m.etag = "abc";
  m.uploaded_ms = 10'500;  // 10.5 s
  auto eval = [&](Conditional c, bool exists = true) { return evaluate(c, exists ? &m : nullptr); };
  Conditional c;
  CHECK(eval(c) == CondResult::pass);

  c = {};
  c.etag_matches = parse_etag_list("\"abc\"");
  CHECK(eval(c) == CondResult::pass);
  c.etag_matches = parse_etag_list("\"x\", \"abc\"");
  CHECK(eval(c) == CondResult::pass);
  c.etag_matches = parse_etag_list("W/\"abc\"");  // If-Match is a strong comparison
  CHECK(eval(c) == CondResult::failed);
  c.etag_matches = parse_etag_list("*");
  CHECK(eval(c) == CondResult::pass);
  CHECK(eval(c, false) == CondResult::failed);

  c = {};
  c.etag_does_not_match = parse_etag_list("\"abc\"");
  CHECK(eval(c) == CondResult::not_modified);
  c.etag_does_not_match = parse_etag_list("W/\"abc\"");  // weak comparison
  CHECK(eval(c) == CondResult::not_modified);
  c.etag_does_not_match = parse_etag_list("\"other\"");
  CHECK(eval(c) == CondResult::pass);
  c.etag_does_not_match = parse_etag_list("*");
  CHECK(eval(c) == CondResult::not_modified);
  CHECK(eval(c, false) == CondResult::pass);  // create-if-absent

  c = {};
  c.uploaded_after = 10'000;
  CHECK(eval(c) == CondResult::pass);
  CHECK(eval(c, false) == CondResult::failed);
  c.seconds_granularity = true;  // 10 s vs 10 s: not modified since
  CHECK(eval(c) == CondResult::not_modified);

  c = {};
  c.uploaded_before = 10'000;
  CHECK(eval(c) == CondResult::failed);
  CHECK(eval(c, false) == CondResult::pass);
  c.seconds_granularity = true;  // same second: modified after the date's start (workerd)
  CHECK(eval(c) == CondResult::failed);
  c.unmodified_inclusive = true;  // S3: not modified after that second
  CHECK(eval(c) == CondResult::pass);
  c.uploaded_before = 9'000;
  CHECK(eval(c) == CondResult::failed);

  // Precedence: a passing If-Match overrides a failing If-Unmodified-Since...
  c = {};
  c.etag_matches = parse_etag_list("\"abc\"");
  c.uploaded_before = 1;
  CHECK(eval(c) == CondResult::pass);
  // ...and a passing If-None-Match overrides a failing If-Modified-Since.
  c = {};
  c.etag_does_not_match = parse_etag_list("\"zzz\"");
  c.uploaded_after = 99'999'999;
  CHECK(eval(c) == CondResult::pass);
}

TEST_CASE("r2 range: parse and resolve", "[r2][unit][range]") {
  auto r = [](std::string_view h, uint64_t size) -> std::string {
    auto spec = parse_range_header(h);
    if (!spec) return "whole";
    auto b = resolve(*spec, size);
    if (!b) return "416";
    return std::to_string(b->offset) + "+" + std::to_string(b->length);
  };
  CHECK(r("bytes=0-3", 10) == "0+4");
  CHECK(r("bytes=2-", 10) == "2+8");
  CHECK(r("bytes=-3", 10) == "7+3");
  CHECK(r("bytes=-30", 10) == "0+10");
  CHECK(r("bytes=5-100", 10) == "5+5");
  CHECK(r("bytes=10-", 10) == "416");
  CHECK(r("bytes=-0", 10) == "416");
  CHECK(r("bytes=0-0", 0) == "416");
  CHECK(r("bytes=0-1,3-4", 10) == "whole");
  CHECK(r("bytes=4-2", 10) == "whole");
  CHECK(r("items=0-1", 10) == "whole");
  CHECK(r("bytes=a-b", 10) == "whole");
  CHECK(r("bytes=", 10) == "whole");
}

TEST_CASE("r2 engine: put/get/overwrite/delete keep one blob per object", "[r2][unit]") {
  Rig rig;
  auto m = rig.put("k", "hello");
  CHECK(m.etag == core::to_hex(core::md5("hello")));
  CHECK(rig.read("k") == "hello");
  rig.put("k", "world!");
  CHECK(rig.read("k") == "world!");
  CHECK(rig.blob_files() == 1);  // the replaced blob was removed after commit
  REQUIRE(rig.engine->del(rig.ctx, "b", "k"));
  CHECK_FALSE(*rig.engine->get(rig.ctx, "b", "k", {}));
  CHECK(rig.blob_files() == 0);
  CHECK(rig.engine->del(rig.ctx, "b", "k"));  // deleting a missing key succeeds
}

TEST_CASE("r2 engine: small plain bodies live in their record, larger ones in files", "[r2][unit]") {
  EngineOptions o = Rig::small();
  o.inline_body_bytes = 8;
  Rig rig(o);
  auto m = rig.put("k", "hello");
  CHECK(m.inline_body == "hello");
  CHECK(m.blob.empty());
  CHECK(m.etag == core::to_hex(core::md5("hello")));
  CHECK(rig.read("k") == "hello");
  rig.put("empty", "");
  CHECK(rig.read("empty").empty());
  rig.put("eight", "12345678");  // at the limit: inline
  CHECK(rig.blob_files() == 0);
  auto nine = rig.put("nine", "123456789");  // one past it: a file
  CHECK_FALSE(nine.inline_body);
  CHECK(rig.blob_files() == 1);
  CHECK(rig.read("nine") == "123456789");

  // A reader keeps its inline body through an overwrite to a file and a delete.
  auto g = rig.engine->get(rig.ctx, "b", "k", {});
  REQUIRE((g && *g));
  rig.put("k", std::string(20, 'f'));
  CHECK(rig.blob_files() == 2);
  CHECK(rig.read("k") == std::string(20, 'f'));
  std::string buf(8, '\0');
  CHECK((*g)->body->read_at(1, buf.data(), 8).value() == 4);  // reads stop at the end
  CHECK(buf.substr(0, 4) == "ello");
  CHECK((*g)->body->read_at(5, buf.data(), 8).value() == 0);
  // Back to small: the file goes; a delete of an inline object touches no file.
  rig.put("k", "back");
  CHECK(rig.blob_files() == 1);
  CHECK(rig.read("k") == "back");
  REQUIRE(rig.engine->del(rig.ctx, "b", "eight"));
  CHECK_FALSE(*rig.engine->get(rig.ctx, "b", "eight", {}));
  CHECK(rig.blob_files() == 1);

  // Conditionals and checksums behave as for files: a refused put stores nothing.
  PutOptions only_new;
  only_new.only_if.etag_does_not_match = parse_etag_list("*");
  CHECK(rig.engine->put_bytes(rig.ctx, "b", "k", "no", only_new).error().code == Code::R2_PRECONDITION_FAILED);
  PutOptions sums;
  sums.expected.sha256 = core::sha256("abd");
  CHECK(rig.engine->put_bytes(rig.ctx, "b", "k", "abc", sums).error().code == Code::R2_BAD_DIGEST);
  CHECK(rig.read("k") == "back");
  sums.expected.sha256 = core::sha256("abc");
  CHECK(rig.engine->put_bytes(rig.ctx, "b", "k", "abc", sums).value().checksums.sha256 == core::sha256("abc"));
  CHECK(rig.blob_files() == 1);

  // Listed like any object; kept across a reopen; a start-up sweep removes no live file.
  auto l = rig.engine->list(rig.ctx, "b", {});
  REQUIRE(l);
  CHECK(keys(*l) == "empty k nine");
  CHECK(l->objects[1].size == 3);
  CHECK(l->objects[1].etag == core::to_hex(core::md5("abc")));
  rig.open(o);
  CHECK(rig.read("k") == "abc");
  CHECK(rig.engine->sweep_orphans().value() == 0);
  CHECK(rig.blob_files() == 1);
  CHECK(rig.read("nine") == "123456789");

  // Copying an inline object is an ordinary put of its bytes (inline again, when small).
  auto w = rig.engine->begin_body("b");
  REQUIRE(w);
  auto src = rig.engine->read_into(rig.ctx, CopySource{"b", "k", {}, {}}, *w);
  REQUIRE(src);
  auto copy = rig.engine->put(rig.ctx, "b", "copy", std::move(*w), {});
  REQUIRE(copy);
  CHECK(copy->inline_body == "abc");
  CHECK(rig.read("copy") == "abc");

  // Parts are files however small, and so is the object they complete.
  auto up = rig.engine->create_multipart(rig.ctx, "b", "mp", {}, {});
  REQUIRE(up);
  for (uint32_t n : {1u, 2u}) {
    auto pw = rig.engine->begin_body("b");
    REQUIRE(pw);
    REQUIRE(pw->write("abcd", 4));
    REQUIRE(rig.engine->upload_part(rig.ctx, "b", "mp", *up, n, std::move(*pw)));
  }
  CHECK(rig.blob_files() == 3);
  auto done = rig.engine->complete_multipart(
      rig.ctx, "b", "mp", *up,
      {PartRef{1, core::to_hex(core::md5("abcd"))}, PartRef{2, core::to_hex(core::md5("abcd"))}});
  REQUIRE(done);
  CHECK_FALSE(done->inline_body);
  CHECK(rig.read("mp") == "abcdabcd");
  CHECK(rig.blob_files() == 2);

  // Clearing the bucket drops inline and file objects alike.
  CHECK(rig.engine->clear("b").value() == 5);
  CHECK(rig.blob_files() == 0);
}

TEST_CASE("r2 engine: a reader holding the old body keeps reading it after an overwrite",
          "[r2][unit]") {
  Rig rig;
  rig.put("k", "old body");
  auto g = rig.engine->get(rig.ctx, "b", "k", {});
  REQUIRE((g && *g));
  rig.put("k", "new");
  REQUIRE(rig.engine->del(rig.ctx, "b", "k"));
  std::string buf(8, '\0');
  CHECK((*g)->body->read_at(0, buf.data(), 8).value() == 8);
  CHECK(buf == "old body");
}

TEST_CASE("r2 engine: limits on key, metadata and size", "[r2][unit]") {
  Rig rig;
  CHECK(rig.engine->put_bytes(rig.ctx, "b", "", "x", {}).error().code == Code::R2_INVALID_KEY);
  CHECK(rig.engine->put_bytes(rig.ctx, "b", std::string(1025, 'k'), "x", {}).error().code ==
        Code::R2_INVALID_KEY);
  CHECK(rig.engine->put_bytes(rig.ctx, "b", std::string(1024, 'k'), "x", {}));
  CHECK(rig.engine->put_bytes(rig.ctx, "bad/bucket", "k", "x", {}).error().code ==
        Code::INVALID_NAMESPACE);
  PutOptions o;
  o.custom["m"] = std::string(8191, 'v');
  CHECK(rig.engine->put_bytes(rig.ctx, "b", "k", "x", o));
  o.custom["m"] = std::string(8192, 'v');
  CHECK(rig.engine->put_bytes(rig.ctx, "b", "k", "x", o).error().code ==
        Code::R2_METADATA_TOO_LARGE);
  CHECK(rig.engine->put_bytes(rig.ctx, "b", "big", std::string(64, 'x'), {}));
  CHECK(rig.engine->put_bytes(rig.ctx, "b", "big", std::string(65, 'x'), {}).error().code ==
        Code::R2_ENTITY_TOO_LARGE);
  CHECK(rig.read("big") == std::string(64, 'x'));  // the refused upload left the old object
}

TEST_CASE("r2 engine: checksums are verified and stored", "[r2][unit]") {
  Rig rig;
  PutOptions o;
  o.expected.sha256 = core::sha256("abc");
  o.expected.md5 = core::md5("abc");
  auto m = rig.engine->put_bytes(rig.ctx, "b", "k", "abc", o);
  REQUIRE(m);
  CHECK(m->checksums.sha256 == core::sha256("abc"));
  o.expected.sha256 = core::sha256("abd");
  auto bad = rig.engine->put_bytes(rig.ctx, "b", "k2", "abc", o);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Code::R2_BAD_DIGEST);
  CHECK(bad.error().message == "The SHA-256 checksum you specified did not match what we received.");
  CHECK_FALSE(*rig.engine->get(rig.ctx, "b", "k2", {}));
  CHECK(rig.blob_files() == 1);
}

TEST_CASE("r2 engine: a streamed body past one buffer is digested off-thread, in order", "[r2][unit]") {
  EngineOptions o = Rig::small();
  o.max_put_bytes = 64ull << 20;
  Rig rig(o);
  std::string data(3 * kWriteBuffer + 12345, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 31 + i / 4099) & 0xff);
  auto stream = [&](std::string_view key, const Checksums& expected, size_t chunk) {
    auto w = rig.engine->begin_body("b", expected);
    REQUIRE(w);
    for (size_t off = 0; off < data.size(); off += chunk)
      REQUIRE(w->write(data.data() + off, std::min(chunk, data.size() - off)));
    PutOptions po;
    po.expected = expected;
    return rig.engine->put(rig.ctx, "b", key, std::move(*w), po);
  };
  Checksums want;
  want.md5 = core::md5(data);
  want.sha256 = core::sha256(data);
  for (size_t chunk : {size_t(4093), kWriteBuffer, 3 * kWriteBuffer + 1}) {  // odd, exact, one big write
    INFO("chunk " << chunk);
    auto m = stream("k", want, chunk);
    INFO((m ? "" : m.error().message));
    REQUIRE(m);
    CHECK(m->etag == core::to_hex(want.md5));
    CHECK(m->checksums.sha256 == want.sha256);
    CHECK(rig.read("k") == data);
  }
  Checksums wrong = want;
  wrong.sha256 = core::sha256("other");
  auto bad = stream("k2", wrong, 65536);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Code::R2_BAD_DIGEST);
  {  // an upload abandoned half-way (client gone) stops its digest thread and keeps nothing
    auto w = rig.engine->begin_body("b");
    REQUIRE(w);
    for (size_t off = 0; off < 2 * kWriteBuffer + 10; off += 4096) REQUIRE(w->write(data.data() + off, 4096));
  }
  CHECK(rig.blob_files() == 1);
}

TEST_CASE("r2 engine: a body put from memory is stored and digested whole, around one buffer", "[r2][unit]") {
  // put_bytes hands the first buffer straight to the disk (no copy); the bytes, the ETag and the
  // requested digests must not tell the difference at, just below or just past that size.
  EngineOptions o = Rig::small();
  o.max_put_bytes = 64ull << 20;
  Rig rig(o);
  for (size_t size : {kWriteBuffer - 1, kWriteBuffer, kWriteBuffer + 1, 2 * kWriteBuffer + 7}) {
    INFO("size " << size);
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + i / 997 + size) & 0xff);
    PutOptions po;
    po.expected.sha256 = core::sha256(data);
    auto m = rig.engine->put_bytes(rig.ctx, "b", "whole", data, po);
    INFO((m ? "" : m.error().message));
    REQUIRE(m);
    CHECK(m->size == size);
    CHECK(m->etag == core::to_hex(core::md5(data)));
    CHECK(rig.read("whole") == data);
  }
}

TEST_CASE("r2 engine: list with delimiter, cursor and startAfter", "[r2][unit][list]") {
  Rig rig;
  for (auto k : {"a", "d/1", "d/2", "d/x/3", "e", "f/1", "g"}) rig.put(k, "x");
  ListOptions o;
  o.delimiter = "/";
  auto r = rig.engine->list(rig.ctx, "b", o);
  REQUIRE(r);
  CHECK(keys(*r) == "a e g [d/] [f/]");
  CHECK_FALSE(r->truncated);

  // Pages of 2: each group counts as one entry.
  o.limit = 2;
  std::vector<std::string> pages;
  for (;;) {
    auto p = rig.engine->list(rig.ctx, "b", o);
    REQUIRE(p);
    pages.push_back(keys(*p));
    if (!p->truncated) break;
    o.cursor = p->cursor;
  }
  CHECK(pages == std::vector<std::string>{"a [d/]", "e [f/]", "g"});

  ListOptions sub;
  sub.prefix = "d/";
  sub.delimiter = "/";
  CHECK(keys(*rig.engine->list(rig.ctx, "b", sub)) == "d/1 d/2 [d/x/]");

  ListOptions sa;
  sa.start_after = "d/2";
  CHECK(keys(*rig.engine->list(rig.ctx, "b", sa)) == "d/x/3 e f/1 g");

  ListOptions bad;
  bad.limit = 1001;
  CHECK(rig.engine->list(rig.ctx, "b", bad).error().code == Code::R2_INVALID_LIMIT);
  bad.limit = 0;
  CHECK(rig.engine->list(rig.ctx, "b", bad).error().code == Code::R2_INVALID_LIMIT);
  ListOptions badc;
  badc.cursor = "!!!";
  CHECK(rig.engine->list(rig.ctx, "b", badc).error().code == Code::R2_INVALID_CURSOR);
}

TEST_CASE("r2 engine: list is exact byte order across long keys", "[r2][unit][list]") {
  Rig rig;
  std::string base(600, 'p');  // past LMDB's inline key limit
  std::vector<std::string> ks = {base + "b", base + "a", base + "\xf4\x8f\xbf\xbf" /* U+10FFFF: the highest UTF-8 bytes */, base, base + "a\x01",
                                 std::string(1024, 'p'), "\xc3\xa9", "Z", "z"};
  for (const auto& k : ks) rig.put(k, "x");
  std::sort(ks.begin(), ks.end());
  ListOptions o;
  o.limit = 3;
  std::vector<std::string> got;
  for (;;) {
    auto p = rig.engine->list(rig.ctx, "b", o);
    REQUIRE(p);
    for (auto& m : p->objects) got.push_back(m.key);
    if (!p->truncated) break;
    o.cursor = p->cursor;
  }
  CHECK(got == ks);
}

TEST_CASE("r2 engine: multipart rules with a small minimum part size", "[r2][unit][multipart]") {
  Rig rig;  // min part 4 bytes
  auto up = [&](const std::string& id, uint32_t n, std::string_view data) {
    auto w = rig.engine->begin_body("b");
    REQUIRE(w);
    REQUIRE(w->write(data.data(), data.size()));
    auto p = rig.engine->upload_part(rig.ctx, "b", "obj", id, n, std::move(*w));
    INFO((p ? "" : p.error().message));
    REQUIRE(p);
    return p->etag;
  };
  auto id = rig.engine->create_multipart(rig.ctx, "b", "obj", {}, {{"m", "1"}});
  REQUIRE(id);
  std::string e1 = up(*id, 1, "aaaa"), e2 = up(*id, 2, "bbbb"), e3 = up(*id, 3, "cc");

  // Errors first; the upload survives every one of them.
  CHECK(rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {}).error().code ==
        Code::R2_INVALID_PART);
  CHECK(rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {{1, "nope"}}).error().code ==
        Code::R2_INVALID_PART);
  CHECK(rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {{2, e2}, {1, e1}}).error().code ==
        Code::R2_INVALID_PART_ORDER);
  CHECK(rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {{3, e3}, {4, e3}}).error().code ==
        Code::R2_INVALID_PART);
  CHECK(rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {{3, e3}, {1, e1}}).error().code ==
        Code::R2_INVALID_PART_ORDER);
  auto small = rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {{1, e1}, {3, e3}, {2, e2}});
  CHECK(small.error().code == Code::R2_INVALID_PART_ORDER);
  std::string e2b = up(*id, 2, "bbbbb");  // re-upload: last wins, now non-uniform
  auto nonuni = rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {{1, e1}, {2, e2b}, {3, e3}});
  REQUIRE_FALSE(nonuni);
  CHECK(nonuni.error().code == Code::R2_INVALID_PART);
  CHECK(nonuni.error().message ==
        "All non-trailing parts must have the same length. Non Uniform Part Sizes: Expected part 2 "
        "to have size 4, found 5");
  CHECK(rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {{1, e1}, {2, e2}}).error().code ==
        Code::R2_INVALID_PART);  // e2 was replaced by e2b
  e2 = up(*id, 2, "bbbb");
  std::string tiny = up(*id, 4, "d");
  auto too_small = rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {{3, e3}, {4, tiny}});
  CHECK(too_small.error().code == Code::R2_ENTITY_TOO_SMALL);  // part 3 (2 bytes) is not trailing

  auto done = rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {{1, e1}, {2, "\"" + e2 + "\""}, {3, e3}});
  REQUIRE(done);
  std::string md5s = core::md5("aaaa") + core::md5("bbbb") + core::md5("cc");
  CHECK(done->etag == core::to_hex(core::md5(md5s)) + "-3");
  CHECK(done->custom.at("m") == "1");
  CHECK(rig.read("obj") == "aaaabbbbcc");
  CHECK(rig.blob_files() == 1);  // parts (incl. the unused part 4) are gone
  CHECK(rig.engine->complete_multipart(rig.ctx, "b", "obj", *id, {{1, e1}}).error().code ==
        Code::R2_NO_SUCH_UPLOAD);
  CHECK(rig.engine->check_upload(rig.ctx, "b", "obj", *id, 1).error().code == Code::R2_NO_SUCH_UPLOAD);
  CHECK(rig.engine->check_upload(rig.ctx, "b", "obj", "x", 0).error().code == Code::R2_INVALID_ARGUMENT);
  CHECK(rig.engine->check_upload(rig.ctx, "b", "obj", "x", 10001).error().code == Code::R2_INVALID_ARGUMENT);
}

TEST_CASE("r2 engine: abort and expiry remove uploads and their parts", "[r2][unit][multipart]") {
  Rig rig;
  auto id = rig.engine->create_multipart(rig.ctx, "b", "k", {}, {});
  REQUIRE(id);
  auto w = rig.engine->begin_body("b");
  REQUIRE(w->write("abcd", 4));
  REQUIRE(rig.engine->upload_part(rig.ctx, "b", "k", *id, 1, std::move(*w)));
  CHECK(rig.blob_files() == 1);
  REQUIRE(rig.engine->abort_multipart(rig.ctx, "b", "k", *id));
  CHECK(rig.blob_files() == 0);
  CHECK(rig.engine->abort_multipart(rig.ctx, "b", "k", *id).error().code == Code::R2_NO_SUCH_UPLOAD);

  auto id2 = rig.engine->create_multipart(rig.ctx, "b", "k", {}, {});
  REQUIRE(id2);
  const int64_t week = int64_t(7) * 24 * 3600 * 1000;
  CHECK(rig.engine->sweep(rig.ctx.now_ms + week - 1).value() == 0);
  OpContext later = rig.ctx;
  later.now_ms += week;
  CHECK(rig.engine->check_upload(rig.ctx, "b", "k", *id2, 1));
  CHECK(rig.engine->check_upload(later, "b", "k", *id2, 1).error().code == Code::R2_NO_SUCH_UPLOAD);
  CHECK(rig.engine->sweep(rig.ctx.now_ms + week).value() == 1);
  CHECK(rig.engine->check_upload(rig.ctx, "b", "k", *id2, 1).error().code == Code::R2_NO_SUCH_UPLOAD);
}

TEST_CASE("r2 engine: sweep_orphans removes unreferenced blobs and keeps live ones",
          "[r2][unit]") {
  Rig rig;
  rig.put("keep", "data");
  auto id = rig.engine->create_multipart(rig.ctx, "b", "k", {}, {});
  auto w = rig.engine->begin_body("b");
  REQUIRE(w->write("part", 4));
  REQUIRE(rig.engine->upload_part(rig.ctx, "b", "k", *id, 1, std::move(*w)));
  {  // a crash between blob rename and commit leaves an orphan
    auto orphan = rig.blobs->create();
    REQUIRE(orphan->write("zz", 2));
    REQUIRE(orphan->commit());
  }
  CHECK(rig.blob_files() == 3);
  CHECK(rig.engine->sweep_orphans().value() == 1);
  CHECK(rig.blob_files() == 2);
  CHECK(rig.read("keep") == "data");
}

TEST_CASE("r2 engine: clear one bucket or all", "[r2][unit]") {
  Rig rig;
  rig.put("a", "1");
  REQUIRE(rig.engine->put_bytes(rig.ctx, "other", "a", "2", {}));
  CHECK(rig.engine->clear("b").value() == 1);
  CHECK_FALSE(*rig.engine->get(rig.ctx, "b", "a", {}));
  CHECK(*rig.engine->get(rig.ctx, "other", "a", {}));
  CHECK(rig.blob_files() == 1);
  CHECK(rig.engine->clear("").value() == 1);
  CHECK(rig.blob_files() == 0);
  rig.put("a", "again");  // works after a clear
  CHECK(rig.read("a") == "again");
}

TEST_CASE("r2 engine: list_resources reports every object", "[r2][unit]") {
  Rig rig;
  PutOptions o;
  o.custom["owner"] = "me";
  rig.put("x/1", "abc", o);
  REQUIRE(rig.engine->put_bytes(rig.ctx, "c2", "y", "", {}));
  std::vector<Resource> all;
  REQUIRE(rig.engine->list_resources(rig.ctx, {}, [&](Resource&& r) { all.push_back(r); }));
  REQUIRE(all.size() == 2);
  CHECK(all[0].ns == "b");
  CHECK(all[0].key == "x/1");
  CHECK(all[0].size == 3u);
  CHECK(all[0].metadata["owner"] == "me");
  CHECK(all[0].created_ms == rig.ctx.now_ms);
  std::vector<Resource> some;
  REQUIRE(rig.engine->list_resources(rig.ctx, {"r2", "c2", ""}, [&](Resource&& r) { some.push_back(r); }));
  REQUIRE(some.size() == 1);
  CHECK(some[0].key == "y");
  std::vector<Resource> none;
  REQUIRE(rig.engine->list_resources(rig.ctx, {"kv", "", ""}, [&](Resource&& r) { none.push_back(r); }));
  CHECK(none.empty());
}

TEST_CASE("r2 engine: racing conditional creates, exactly one wins", "[r2][unit][concurrency]") {
  Rig rig;
  for (int round = 0; round < 20; ++round) {
    std::string key = "race" + std::to_string(round);
    std::atomic<int> wins{0}, lost{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 8; ++t)
      ts.emplace_back([&, t] {
        PutOptions o;
        o.only_if.etag_does_not_match = parse_etag_list("*");
        auto r = rig.engine->put_bytes(rig.ctx, "b", key, "writer" + std::to_string(t), o);
        if (r) ++wins;
        else if (r.error().code == Code::R2_PRECONDITION_FAILED) ++lost;
      });
    for (auto& t : ts) t.join();
    CHECK(wins == 1);
    CHECK(lost == 7);
  }
  CHECK(rig.blob_files() == 20);  // losers left no blobs behind
}
