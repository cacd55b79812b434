// Encrypted R2 bodies at the engine level: chunk layout, range reads across chunk boundaries,
// tampering, chunk swaps, truncation, moved blobs, multipart, sealed metadata.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/aead.h"
#include "core/crypto.h"
#include "r2/engine.h"
#include "r2/sealed_body.h"
#include "store/blob_store.h"
#include "store/lmdb.h"
#include "store/paths.h"
#include "support.h"

using namespace era;
using namespace era::r2;

namespace {

std::string pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + seed * 7 + (i >> 9)) & 0xff);
  return s;
}

struct Rig {
  test::TempDir dir;
  store::Paths paths{dir.path};
  std::unique_ptr<store::Lmdb> db;
  std::unique_ptr<store::BlobStore> blobs;
  std::unique_ptr<Engine> engine;
  OpContext ctx{1'700'000'000'000, "local"};
  std::shared_ptr<const core::Aead> aead = std::make_shared<const core::Aead>(core::random_bytes(32));

  Rig() {
    db = std::move(*store::Lmdb::open(paths.lmdb_dir(), {}));
    blobs = std::make_unique<store::BlobStore>(paths, false);
    REQUIRE(blobs->init());
    EngineOptions o;
    o.min_part_bytes = 4;
    engine = std::make_unique<Engine>(*db, *blobs, o);
    engine->set_bucket_cipher("vault", aead);
  }
  ObjectMeta put(std::string_view bucket, std::string_view key, std::string_view data, PutOptions o = {}) {
    auto r = engine->put_bytes(ctx, bucket, key, data, o);
    INFO((r ? "" : r.error().message));
    REQUIRE(r);
    return *r;
  }
  // Reads [off, off+len) through the engine; the error when it fails.
  Result<std::string> read(std::string_view bucket, std::string_view key, uint64_t off, uint64_t len) {
    GetOptions g;
    auto r = engine->get(ctx, bucket, key, g);
    if (!r) return fail(r.error());
    REQUIRE(*r);
    std::string out(len, '\0');
    uint64_t got = 0;
    while (got < len) {
      auto n = (*r)->body->read_at(off + got, out.data() + got, len - got);
      if (!n) return fail(n.error());
      if (*n == 0) break;
      got += *n;
    }
    out.resize(got);
    return out;
  }
  std::filesystem::path blob_path(const ObjectMeta& m) { return paths.blob(m.blob); }
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void spit(const std::filesystem::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

}  // namespace

TEST_CASE("sealed body: sizes, chunk layout and range reads across chunk boundaries",
          "[r2][encryption]") {
  Rig rig;
  const uint64_t C = kChunkBytes;
  for (uint64_t size : {uint64_t(0), uint64_t(1), C - 1, C, C + 1, 3 * C, 3 * C + 17}) {
    INFO("size " << size);
    std::string data = pattern(size, static_cast<int>(size % 97));
    ObjectMeta m = rig.put("vault", "obj", data);
    CHECK(m.size == size);
    CHECK(m.etag == core::to_hex(core::md5(data)));  // etag of the plaintext
    CHECK_FALSE(m.inline_body);  // even a tiny sealed body is a file (its id is sealed in)
    CHECK(std::filesystem::file_size(rig.blob_path(m)) == sealed_blob_size(size));
    CHECK(rig.read("vault", "obj", 0, size).value() == data);
    for (auto [off, len] : std::vector<std::pair<uint64_t, uint64_t>>{
             {0, 1}, {C - 1, 2}, {C, 1}, {C - 5, C + 10}, {size / 2, size / 3}, {size ? size - 1 : 0, 1}}) {
      if (off >= size) continue;
      len = std::min(len, size - off);
      CHECK(rig.read("vault", "obj", off, len).value() == data.substr(off, len));
    }
  }
}

TEST_CASE("sealed body: a flipped byte, swapped chunks, truncation or a moved blob is an error",
          "[r2][encryption]") {
  Rig rig;
  const uint64_t C = kChunkBytes;
  std::string data = pattern(3 * C, 5);  // three full chunks, same sealed size each
  ObjectMeta m = rig.put("vault", "obj", data);
  const auto path = rig.blob_path(m);
  const std::string good = slurp(path);
  const size_t chunk_at = kSealedHeaderBytes, sealed_chunk = C + core::Aead::kOverhead;

  SECTION("flipped byte in chunk 1: chunks 0 and 2 still read, chunk 1 fails") {
    std::string bad = good;
    bad[chunk_at + sealed_chunk + 100] ^= 0x40;
    spit(path, bad);
    CHECK(rig.read("vault", "obj", 0, C).value() == data.substr(0, C));
    CHECK(rig.read("vault", "obj", 2 * C, C).value() == data.substr(2 * C));
    auto r = rig.read("vault", "obj", C + 10, 10);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Code::DATA_CORRUPTED);
  }
  SECTION("chunks 0 and 1 swapped") {
    std::string bad = good;
    std::copy_n(good.begin() + chunk_at + sealed_chunk, sealed_chunk, bad.begin() + chunk_at);
    std::copy_n(good.begin() + chunk_at, sealed_chunk, bad.begin() + chunk_at + sealed_chunk);
    spit(path, bad);
    auto r = rig.read("vault", "obj", 0, 10);  // get() authenticates the first chunk it serves
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Code::DATA_CORRUPTED);
  }
  SECTION("truncated to two chunks: caught at open from the recorded size") {
    spit(path, good.substr(0, chunk_at + 2 * sealed_chunk));
    auto r = rig.read("vault", "obj", 0, 10);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Code::DATA_CORRUPTED);
  }
  SECTION("another object's blob moved in place of this one") {
    ObjectMeta other = rig.put("vault", "other", pattern(3 * C, 6));
    std::filesystem::copy_file(rig.blob_path(other), path, std::filesystem::copy_options::overwrite_existing);
    auto r = rig.read("vault", "obj", 0, 10);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Code::DATA_CORRUPTED);
  }
  SECTION("empty body: its single chunk is authenticated too") {
    ObjectMeta e = rig.put("vault", "empty", "");
    std::string bad = slurp(rig.blob_path(e));
    bad.back() ^= 1;
    spit(rig.blob_path(e), bad);
    auto r = rig.read("vault", "empty", 0, 0);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Code::DATA_CORRUPTED);
  }
}

TEST_CASE("sealed body: the chunk sealer's layout is independent of write sizes", "[r2][encryption]") {
  auto aead = std::make_shared<const core::Aead>(core::random_bytes(32));
  std::string data = pattern(2 * kChunkBytes + 3, 1);
  for (size_t step : {size_t(1000), kChunkBytes, size_t(3) * kChunkBytes}) {
    ChunkSealer s(aead, "blobid");
    std::string out;
    for (size_t off = 0; off < data.size(); off += step) s.add(data.data() + off, std::min(step, data.size() - off), out);
    s.finish(out);
    CHECK(out.size() == sealed_blob_size(data.size()));
    CHECK(has_sealed_header(out));
  }
}

TEST_CASE("sealed body: metadata sealed in the record, multipart parts sealed, plain buckets untouched",
          "[r2][encryption]") {
  Rig rig;
  PutOptions o;
  o.http.content_type = "text/x-canary";
  o.custom["owner"] = "canary-owner";
  ObjectMeta m = rig.put("vault", "k", "hello", o);
  ObjectMeta p = rig.put("plain", "k", "hello", o);
  {
    auto txn = rig.db->begin_read();
    auto sealed = txn->get(store::Table::r2, std::string("vault\0k", 7)).value();
    auto plain = txn->get(store::Table::r2, std::string("plain\0k", 7)).value();
    REQUIRE(sealed);
    REQUIRE(plain);
    CHECK(sealed->find("canary-owner") == std::string_view::npos);
    CHECK(sealed->find("text/x-canary") == std::string_view::npos);
    CHECK(plain->find("canary-owner") != std::string_view::npos);
  }
  CHECK_FALSE(has_sealed_header(slurp(rig.blob_path(p))));
  auto g = rig.engine->get(rig.ctx, "vault", "k", {});
  REQUIRE(g);
  CHECK((*g)->meta.custom.at("owner") == "canary-owner");
  CHECK((*g)->meta.http.content_type == "text/x-canary");
  auto l = rig.engine->list(rig.ctx, "vault", {});
  REQUIRE(l);
  REQUIRE(l->objects.size() == 1);
  CHECK(l->objects[0].custom.at("owner") == "canary-owner");

  // A record moved under another key fails to open.
  {
    auto txn = rig.db->begin_write();
    std::string rec(*txn->get(store::Table::r2, std::string("vault\0k", 7)).value());
    REQUIRE(txn->put(store::Table::r2, std::string("vault\0moved", 11), rec));
    REQUIRE(txn->commit());
  }
  auto moved = rig.engine->get(rig.ctx, "vault", "moved", {});
  REQUIRE_FALSE(moved);
  CHECK(moved.error().code == Code::DATA_CORRUPTED);

  // Multipart: parts on disk are sealed; the completed object reads back.
  auto id = rig.engine->create_multipart(rig.ctx, "vault", "mp", o.http, o.custom);
  REQUIRE(id);
  std::string a = pattern(kChunkBytes + 5, 1), b = pattern(100, 2);
  std::string e1, e2;
  for (auto [n, d, e] : {std::tuple{1u, &a, &e1}, std::tuple{2u, &b, &e2}}) {
    auto w = rig.engine->begin_body("vault");
    REQUIRE(w);
    REQUIRE(w->write(d->data(), d->size()));
    auto part = rig.engine->upload_part(rig.ctx, "vault", "mp", *id, n, std::move(*w));
    REQUIRE(part);
    *e = part->etag;
  }
  {
    auto txn = rig.db->begin_read();
    size_t sealed_parts = 0;
    REQUIRE(txn->scan(store::Table::uploads, {}, {}, [&](std::string_view, std::string_view v) {
      CHECK(v.find("canary-owner") == std::string_view::npos);
      auto j = nlohmann::json::parse(v);
      for (auto& [n, part] : j["parts"].items()) {
        CHECK(part["sealed"] == true);
        CHECK(has_sealed_header(slurp(rig.paths.blob(part["blob"].get<std::string>()))));
        ++sealed_parts;
      }
      return true;
    }));
    CHECK(sealed_parts == 2);
  }
  auto done = rig.engine->complete_multipart(rig.ctx, "vault", "mp", *id, {{1, e1}, {2, e2}});
  INFO((done ? "" : done.error().message));
  REQUIRE(done);
  CHECK(rig.read("vault", "mp", 0, a.size() + b.size()).value() == a + b);
  auto mg = rig.engine->get(rig.ctx, "vault", "mp", {});
  CHECK((*mg)->meta.custom.at("owner") == "canary-owner");

  // Without the cipher, sealed objects are a clear error, plain ones still read.
  rig.engine->set_bucket_cipher("vault", nullptr);
  auto nokey = rig.engine->get(rig.ctx, "vault", "k", {});
  REQUIRE_FALSE(nokey);
  CHECK(nokey.error().code == Code::ENCRYPTION_SECRET_MISSING);
  CHECK(rig.read("plain", "k", 0, 5).value() == "hello");
}
