// Declared rules enforced on the virtual clock: R2 lifecycle (deleteAfterDays) in get, head and
// list at the exact boundary, the sweep reclaiming blobs, abortMultipartAfterDays,
// maxObjectSize; KV ttlSeconds and propagationDelayMs, kept across reset.
#include <catch2/catch.hpp>

#include "products_support.h"
#include "r2/engine.h"
#include "store/blob_store.h"
#include "store/lmdb.h"
#include "store/paths.h"

using namespace era;
using namespace era::test;

namespace {

std::string lifecycle_config(TempDir& dir) {
  return write_file(dir.path / "era-emu.json", R"({
    "buckets": [{"name": "avatars", "deleteAfterDays": 30, "abortMultipartAfterDays": 1, "maxObjectSize": 10},
                {"name": "plain"}],
    "kv": [{"name": "sessions", "ttlSeconds": 86400, "propagationDelayMs": 0},
           {"name": "slow", "propagationDelayMs": 5000}]})");
}

int status_of(const httplib::Result& r) { return r ? r->status : -1; }

std::vector<std::string> listed(Emu& e, const std::string& bucket, const std::string& q = "") {
  auto j = body_json(e.get("/api/r2/" + bucket + "?limit=1000" + q));
  std::vector<std::string> keys;
  for (const auto& o : j["objects"]) keys.push_back(o["key"]);
  for (const auto& p : j.value("delimitedPrefixes", json::array())) keys.push_back(p);
  return keys;
}

}  // namespace

TEST_CASE("r2 lifecycle: visible until uploaded + N days - 1 ms, gone at the boundary", "[products][lifecycle]") {
  TempDir dir;
  Emu e(with_config(lifecycle_config(dir)));
  REQUIRE(status_of(e.put_raw("/api/r2/avatars/old.png", "old")) == 200);
  REQUIRE(status_of(e.put_raw("/api/r2/avatars/dir/in.png", "in")) == 200);
  REQUIRE(status_of(e.put_raw("/api/r2/plain/old.png", "old")) == 200);
  clock_at(e, 10 * kDayMs);
  REQUIRE(status_of(e.put_raw("/api/r2/avatars/new.png", "new")) == 200);  // uploaded 10 days later

  const int64_t boundary = 30 * kDayMs;
  clock_at(e, boundary - 1);
  CHECK(status_of(e.get("/api/r2/avatars/old.png")) == 200);
  CHECK(status_of(e.send("HEAD", "/api/r2/avatars/old.png", "")) == 200);
  CHECK(status_of(e.get("/api/storage/r2/avatars/old.png")) == 200);
  CHECK(listed(e, "avatars") == std::vector<std::string>{"dir/in.png", "new.png", "old.png"});
  CHECK(listed(e, "avatars", "&delimiter=/") == std::vector<std::string>{"new.png", "old.png", "dir/"});

  clock_at(e, boundary);
  CHECK(status_of(e.get("/api/r2/avatars/old.png")) == 404);
  CHECK(status_of(e.send("HEAD", "/api/r2/avatars/old.png", "")) == 404);
  CHECK(status_of(e.get("/api/storage/r2/avatars/old.png")) == 404);
  CHECK(listed(e, "avatars") == std::vector<std::string>{"new.png"});
  // An expired object cannot open a delimited group either.
  CHECK(listed(e, "avatars", "&delimiter=/") == std::vector<std::string>{"new.png"});
  // The undeclared bucket has no lifecycle.
  CHECK(status_of(e.get("/api/r2/plain/old.png")) == 200);
  // A conditional put treats the expired object as absent (If-None-Match: * succeeds).
  CHECK(status_of(e.put_raw("/api/r2/avatars/old.png", "again", "text/plain", {{"If-None-Match", "*"}})) == 200);
  CHECK(e.get("/api/r2/avatars/old.png")->body == "again");

  clock_at(e, 40 * kDayMs);
  CHECK(status_of(e.get("/api/r2/avatars/new.png")) == 404);
  CHECK(status_of(e.get("/api/r2/avatars/old.png")) == 200);  // re-uploaded at day 30
}

TEST_CASE("r2 lifecycle: the sweep deletes expired objects and reclaims their blobs", "[products][lifecycle]") {
  TempDir dir;
  store::Paths paths(dir.path);
  auto db = std::move(*store::Lmdb::open(paths.lmdb_dir(), {}));
  store::BlobStore blobs(paths, false);
  REQUIRE(blobs.init());
  r2::Engine engine(*db, blobs);
  engine.set_bucket_options("avatars", {.delete_after_ms = 2 * kDayMs, .upload_ttl_ms = {}, .max_object_bytes = {}});
  auto blob_count = [&] {
    size_t n = 0;
    for (auto& f : std::filesystem::recursive_directory_iterator(paths.blobs_dir()))
      if (f.is_regular_file() && f.path().parent_path() != paths.blob_tmp_dir()) ++n;
    return n;
  };
  OpContext ctx{kT0, "local"};
  // Bodies past the inline limit are files; "tiny" lives inside its record.
  const std::string big(r2::EngineOptions{}.inline_body_bytes + 1, 'x');
  REQUIRE(engine.put_bytes(ctx, "avatars", "a", big, {}));
  REQUIRE(engine.put_bytes(ctx, "avatars", "tiny", "t", {}));
  REQUIRE(engine.put_bytes(ctx, "other", "a", big, {}));
  ctx.now_ms = kT0 + kDayMs;
  REQUIRE(engine.put_bytes(ctx, "avatars", "b", big, {}));
  CHECK(blob_count() == 3);

  auto swept = engine.sweep(kT0 + 2 * kDayMs - 1);
  REQUIRE(swept);
  CHECK(*swept == 0);
  CHECK(blob_count() == 3);
  swept = engine.sweep(kT0 + 2 * kDayMs);
  REQUIRE(swept);
  CHECK(*swept == 2);  // "a" and "tiny"
  CHECK(blob_count() == 2);
  // Gone from the records too: even an unbounded clock shows only "b" until its own boundary.
  ctx.now_ms = kT0 + 2 * kDayMs;
  auto l = engine.list(ctx, "avatars", {});
  REQUIRE(l);
  REQUIRE(l->objects.size() == 1);
  CHECK(l->objects[0].key == "b");
  CHECK(engine.bucket_options("avatars").delete_after_ms == 2 * kDayMs);
  REQUIRE(engine.clear({}));
  CHECK(engine.bucket_options("avatars").delete_after_ms == 2 * kDayMs);  // configuration survives
}

TEST_CASE("r2 abortMultipartAfterDays replaces the 7-day multipart expiry per bucket", "[products][lifecycle]") {
  TempDir dir;
  Emu e(with_config(lifecycle_config(dir)));
  auto create = [&](const std::string& bucket) {
    auto r = e.send("POST", "/api/r2/" + bucket + "/big.bin?uploads", "");
    REQUIRE(status_of(r) == 200);
    return body_json(r)["uploadId"].get<std::string>();
  };
  std::string declared = create("avatars"), plain = create("plain");
  clock_at(e, kDayMs - 1);
  CHECK(status_of(e.put_raw("/api/r2/avatars/big.bin?uploadId=" + declared + "&partNumber=1", "x")) == 200);
  clock_at(e, kDayMs);
  auto gone = e.put_raw("/api/r2/avatars/big.bin?uploadId=" + declared + "&partNumber=1", "x");
  CHECK(status_of(gone) == 404);
  CHECK(body_json(gone)["code"] == "R2_NO_SUCH_UPLOAD");
  CHECK(status_of(e.put_raw("/api/r2/plain/big.bin?uploadId=" + plain + "&partNumber=1", "x")) == 200);
  clock_at(e, 7 * kDayMs);
  CHECK(status_of(e.put_raw("/api/r2/plain/big.bin?uploadId=" + plain + "&partNumber=1", "x")) == 404);
}

TEST_CASE("r2 maxObjectSize: larger uploads are refused with 413", "[products][lifecycle]") {
  TempDir dir;
  Emu e(with_config(lifecycle_config(dir)));
  CHECK(status_of(e.put_raw("/api/r2/avatars/ok", std::string(10, 'x'))) == 200);
  auto big = e.put_raw("/api/r2/avatars/big", std::string(11, 'x'));
  REQUIRE(big);
  CHECK(big->status == 413);
  auto j = body_json(big);
  CHECK(j["code"] == "R2_ENTITY_TOO_LARGE");
  CHECK_THAT(j["error"].get<std::string>(), Catch::Matchers::Contains("maxObjectSize 10"));
  CHECK(status_of(e.get("/api/r2/avatars/big")) == 404);
  // The ERA JSON route too (base64 of 11 bytes).
  auto era = e.put_json("/api/storage/r2/avatars/big", {{"content", "eHh4eHh4eHh4eHg="}});
  CHECK(status_of(era) == 413);
  // Other buckets keep the engine's limit.
  CHECK(status_of(e.put_raw("/api/r2/plain/big", std::string(11, 'x'))) == 200);
  // Multipart: the completed size counts.
  auto r = e.send("POST", "/api/r2/avatars/mp?uploads", "");
  std::string id = body_json(r)["uploadId"];
  auto p1 = body_json(e.put_raw("/api/r2/avatars/mp?uploadId=" + id + "&partNumber=1", std::string(11, 'y')));
  auto done = e.post_json("/api/r2/avatars/mp?uploadId=" + id, {{"parts", {{{"partNumber", 1}, {"etag", p1["etag"]}}}}});
  CHECK(status_of(done) == 413);
}

TEST_CASE("r2 maxObjectSize: a declared Content-Length over the limit is refused before the body",
          "[products][lifecycle]") {
  TempDir dir;
  Emu e(with_config(lifecycle_config(dir)));
  // No body follows the headers: only an answer given before reading can arrive.
  std::string resp = raw_exchange(e.emu->port(),
                                  "PUT /api/r2/avatars/big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n",
                                  /*half_close=*/false);
  INFO(resp);
  CHECK(resp.starts_with("HTTP/1.1 413"));
  CHECK(resp.find("maxObjectSize 10") != std::string::npos);
  CHECK(resp.find("\"size\":1000000") != std::string::npos);
}

TEST_CASE("kv ttlSeconds: writes without expiration get the declared TTL; reset keeps it", "[products][ttl]") {
  TempDir dir;
  Emu e(with_config(lifecycle_config(dir)));
  auto write = [&](const json& body) { REQUIRE(status_of(e.put_json("/api/storage/kv/sessions/s1", body)) == 200); };
  write({{"value", "alice"}});
  write({{"value", "explicit"}, {"expirationTtl", 120}});  // an explicit TTL wins
  REQUIRE(status_of(e.put_json("/api/storage/kv/sessions/s2", {{"value", "bob"}})) == 200);
  REQUIRE(status_of(e.put_json("/api/storage/kv/other/k", {{"value", "forever"}})) == 200);
  clock_at(e, 86'400'000 - 1);
  CHECK(status_of(e.get("/api/storage/kv/sessions/s2")) == 200);
  CHECK(status_of(e.get("/api/storage/kv/sessions/s1")) == 404);  // 120 s, long gone
  clock_at(e, 86'400'000);
  CHECK(status_of(e.get("/api/storage/kv/sessions/s2")) == 404);
  CHECK(status_of(e.get("/api/storage/kv/other/k")) == 200);

  // A full reset empties the data, not the declarations.
  REQUIRE(status_of(e.post_json("/_emu/reset", {{"keep_clock", true}})) == 200);
  REQUIRE(status_of(e.put_json("/api/storage/kv/sessions/s3", {{"value", "carol"}})) == 200);
  clock_at(e, 2 * 86'400'000 - 1);
  CHECK(status_of(e.get("/api/storage/kv/sessions/s3")) == 200);
  clock_at(e, 2 * 86'400'000);
  CHECK(status_of(e.get("/api/storage/kv/sessions/s3")) == 404);
}

TEST_CASE("kv propagationDelayMs per declared store", "[products][ttl]") {
  TempDir dir;
  Emu e(with_config(lifecycle_config(dir)));
  httplib::Headers here{{"X-Era-Location", "here"}}, there{{"X-Era-Location", "there"}};
  REQUIRE(status_of(e.put_json("/api/storage/kv/sessions/k", {{"value", "v"}}, here)) == 200);
  CHECK(status_of(e.get("/api/storage/kv/sessions/k", there)) == 200);  // 0 = strongly consistent
  REQUIRE(status_of(e.put_json("/api/storage/kv/slow/k", {{"value", "v"}}, here)) == 200);
  CHECK(status_of(e.get("/api/storage/kv/slow/k", there)) == 404);
  clock_at(e, 5000);
  CHECK(status_of(e.get("/api/storage/kv/slow/k", {{"X-Era-Location", "elsewhere"}})) == 200);
  auto opts = body_json(e.get("/_emu/kv/options/slow"));
  INFO(opts.dump());
  CHECK(opts.dump().find("5000") != std::string::npos);
}
