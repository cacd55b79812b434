// The ERA JSON R2 route (/api/storage/r2/...): wire shapes of the original proxy plus the
// additive fields, through real HTTP.
#include <catch2/catch.hpp>
#include <thread>

#include "core/crypto.h"
#include "support.h"

using namespace era;
using namespace era::test;

namespace {

json put_obj(Emu& emu, const std::string& ns, const std::string& key, const std::string& bytes,
             json extra = json::object()) {
  json body = {{"content", core::base64_encode(bytes)}};
  body.update(extra);
  auto r = emu.put_json("/api/storage/r2/" + ns + "/" + enc(key), body);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return body_json(r);
}

}  // namespace

TEST_CASE("r2 era put/get: round trip with metadata and the legacy shapes", "[r2][era]") {
  Emu emu;
  json put = put_obj(emu, "app", "docs/a.txt", "hello", {{"metadata", {{"owner", "ann"}}}});
  CHECK(put["success"] == true);
  CHECK(put["size"] == 5);
  CHECK(put["etag"] == core::to_hex(core::md5("hello")));
  CHECK(put["version"].is_string());
  CHECK(put["uploaded"].get<std::string>().size() == 24);  // 2026-01-02T03:04:05.678Z

  auto r = emu.get("/api/storage/r2/app/docs/a.txt");
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  json j = body_json(r);
  CHECK(j["content"] == core::base64_encode("hello"));
  CHECK(j["size"] == 5);
  CHECK(j["customMetadata"] == json{{"owner", "ann"}});
  CHECK(j["httpMetadata"] == json::object());
  CHECK(j["etag"] == put["etag"]);
  CHECK(j["uploaded"] == put["uploaded"]);
}

TEST_CASE("r2 era put: every byte value survives, empty objects too", "[r2][era]") {
  Emu emu;
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (const std::string& data : {all, all + all + "x", std::string(), std::string("\0", 1)}) {
    put_obj(emu, "bin", "k", data);
    json j = body_json(emu.get("/api/storage/r2/bin/k"));
    CHECK(core::base64_decode(j["content"].get<std::string>()) == data);
    CHECK(j["size"] == data.size());
  }
}

TEST_CASE("r2 era put: httpMetadata and onlyIf", "[r2][era][conditional]") {
  Emu emu;
  json p = put_obj(emu, "app", "k", "v1",
                   {{"httpMetadata", {{"contentType", "text/plain"}, {"cacheExpiry", "2030-01-02T03:04:05.000Z"}}}});
  json j = body_json(emu.get("/api/storage/r2/app/k"));
  CHECK(j["httpMetadata"] == json{{"contentType", "text/plain"}, {"cacheExpiry", "2030-01-02T03:04:05.000Z"}});

  // create-if-absent fails on an existing key, nothing changes
  auto r = emu.put_json("/api/storage/r2/app/k",
                        {{"content", core::base64_encode("v2")}, {"onlyIf", {{"etagDoesNotMatch", "*"}}}});
  CHECK(r->status == 412);
  CHECK(body_json(r)["code"] == "R2_PRECONDITION_FAILED");
  CHECK(body_json(emu.get("/api/storage/r2/app/k"))["content"] == core::base64_encode("v1"));
  // replace-if-match succeeds with the current etag, quoted or not
  r = emu.put_json("/api/storage/r2/app/k",
                   {{"content", core::base64_encode("v2")}, {"onlyIf", {{"etagMatches", p["etag"]}}}});
  CHECK(r->status == 200);
  r = emu.put_json("/api/storage/r2/app/k",
                   {{"content", core::base64_encode("v3")}, {"onlyIf", {{"etagMatches", p["etag"]}}}});
  CHECK(r->status == 412);  // the etag moved on
  r = emu.put_json("/api/storage/r2/app/new",
                   {{"content", core::base64_encode("n")}, {"onlyIf", {{"uploadedAfter", "2000-01-01T00:00:00Z"}}}});
  CHECK(r->status == 412);  // absent object + uploadedAfter fails
  r = emu.put_json("/api/storage/r2/app/k",
                   {{"content", core::base64_encode("v4")}, {"onlyIf", {{"uploadedBefore", "yesterday"}}}});
  CHECK(r->status == 400);
  CHECK(body_json(r)["code"] == "R2_INVALID_ARGUMENT");
}

TEST_CASE("r2 era put: bad input is a clear 4xx and stores nothing", "[r2][era]") {
  Emu emu;
  put_obj(emu, "app", "k", "keep");
  struct Case { json body; std::string code; };
  std::vector<Case> cases = {
      {json{{"content", "@@not base64@@"}}, "R2_INVALID_BASE64"},
      {json{{"metadata", {{"a", "b"}}}}, "INVALID_BODY"},
      {json{{"content", 5}}, "INVALID_BODY"},
      {json{{"content", "aGk="}, {"metadata", {{"a", 1}}}}, "R2_INVALID_METADATA"},
      {json{{"content", "aGk="}, {"metadata", {{"a", std::string(8200, 'x')}}}}, "R2_METADATA_TOO_LARGE"},
      {json{{"content", "aGk="}, {"sha256", "abc"}}, "R2_INVALID_DIGEST"},
      {json{{"content", "aGk="}, {"sha1", core::to_hex(std::string(20, 'x'))}}, "R2_BAD_DIGEST"},
      {json{{"content", "aGk="}, {"httpMetadata", "text/plain"}}, "INVALID_BODY"},
  };
  for (const auto& c : cases) {
    auto r = emu.put_json("/api/storage/r2/app/k", c.body);
    INFO(c.body.dump() << " -> " << r->body);
    CHECK(r->status == 400);
    CHECK(body_json(r)["code"] == c.code);
  }
  auto r = emu.send("PUT", "/api/storage/r2/app/k", "{not json", {{"Content-Type", "application/json"}});
  CHECK(r->status == 400);
  CHECK(body_json(r)["code"] == "INVALID_JSON");
  CHECK(body_json(emu.get("/api/storage/r2/app/k"))["content"] == core::base64_encode("keep"));
  // a matching checksum is fine
  r = emu.put_json("/api/storage/r2/app/k", {{"content", "aGk="}, {"sha1", core::to_hex(std::string(
      "\xc2\x2b\x5f\x91\x78\x34\x26\x09\x42\x8d\x6f\x51\xb2\xc5\xaf\x4c\x0b\xde\x6a\x42", 20))}});
  CHECK(r->status == 200);
}

TEST_CASE("r2 era: missing object, delete, legacy errors", "[r2][era]") {
  Emu emu;
  auto r = emu.get("/api/storage/r2/app/nope");
  CHECK(r->status == 404);
  CHECK(body_json(r)["error"] == "Object not found");
  r = emu.del("/api/storage/r2/app/nope");
  CHECK(r->status == 200);
  CHECK(body_json(r) == json{{"success", true}});
  put_obj(emu, "app", "k", "x");
  CHECK(emu.del("/api/storage/r2/app/k")->status == 200);
  CHECK(emu.get("/api/storage/r2/app/k")->status == 404);
  r = emu.send("PUT", "/api/storage/r2/app", "{}", {});
  CHECK(r->status == 400);
  CHECK(body_json(r)["error"] == "Key required");
  r = emu.send("POST", "/api/storage/r2/app/k", "{}", {});
  CHECK(r->status == 405);
  CHECK(body_json(r)["error"] == "Method not allowed");
  r = emu.get("/api/storage/r2/bad.name/k");
  CHECK(r->status == 400);
  CHECK(body_json(r)["code"] == "INVALID_NAMESPACE");
}

TEST_CASE("r2 era: key length boundaries 1023/1024/1025", "[r2][era][limits]") {
  Emu emu;
  for (size_t n : {1023u, 1024u}) {
    std::string key(n, 'k');
    put_obj(emu, "app", key, "v");
    CHECK(emu.get("/api/storage/r2/app/" + key)->status == 200);
  }
  auto r = emu.put_json("/api/storage/r2/app/" + std::string(1025, 'k'), {{"content", "aGk="}});
  CHECK(r->status == 400);
  CHECK(body_json(r)["code"] == "R2_INVALID_KEY");
}

TEST_CASE("r2 era: traversal-looking keys are just keys", "[r2][era]") {
  Emu emu;
  for (std::string key : {"../../etc/passwd", "../x", "./.", "a/../../b"}) {
    put_obj(emu, "app", key, "content of " + key);
    json j = body_json(emu.get("/api/storage/r2/app/" + enc(key)));
    CHECK(core::base64_decode(j["content"].get<std::string>()) == "content of " + key);
  }
  json l = body_json(emu.get("/api/storage/r2/app"));
  CHECK(l["objects"].size() == 4);
  CHECK(l["objects"][0]["key"] == "../../etc/passwd");
  // Nothing was written next to the data dir.
  auto parent = std::filesystem::path(emu.emu->data_dir()).parent_path();
  CHECK_FALSE(std::filesystem::exists(parent / "etc" / "passwd"));
  CHECK_FALSE(std::filesystem::exists(parent / "x"));
}

TEST_CASE("r2 era list: shapes, limits, cursor, delimiter", "[r2][era][list]") {
  Emu emu;
  for (int i = 0; i < 150; ++i) {
    char k[16];
    std::snprintf(k, sizeof k, "k%03d", i);
    put_obj(emu, "app", k, "x");
  }
  put_obj(emu, "app", "dir/a", "x");
  put_obj(emu, "app", "dir/b", "x");
  json l = body_json(emu.get("/api/storage/r2/app"));
  CHECK(l["objects"].size() == 100);  // ERA default
  CHECK(l["truncated"] == true);
  CHECK(l["objects"][0]["key"] == "dir/a");
  CHECK(l["objects"][0]["size"] == 1);
  CHECK(l["objects"][0]["etag"].is_string());
  CHECK(l["objects"][0]["uploaded"].get<std::string>().back() == 'Z');
  CHECK_FALSE(l.contains("delimitedPrefixes"));
  json l2 = body_json(emu.get("/api/storage/r2/app?cursor=" + enc(l["cursor"].get<std::string>())));
  CHECK(l2["objects"].size() == 52);
  CHECK(l2["truncated"] == false);
  CHECK_FALSE(l2.contains("cursor"));

  json d = body_json(emu.get("/api/storage/r2/app?delimiter=/&limit=3"));
  CHECK(d["delimitedPrefixes"] == json{"dir/"});
  CHECK(d["objects"].size() == 2);
  json p = body_json(emu.get("/api/storage/r2/app?prefix=dir/&include=customMetadata"));
  CHECK(p["objects"].size() == 2);
  CHECK(p["objects"][0]["customMetadata"] == json::object());
  json s = body_json(emu.get("/api/storage/r2/app?startAfter=k148"));
  CHECK(s["objects"].size() == 1);
  CHECK(s["objects"][0]["key"] == "k149");

  for (std::string bad : {"0", "1001", "-1", "x"}) {
    auto r = emu.get("/api/storage/r2/app?limit=" + bad);
    CHECK(r->status == 400);
    CHECK(body_json(r)["error"] == "MaxKeys params must be positive integer <= 1000.");
  }
  CHECK(body_json(emu.get("/api/storage/r2/app?limit=1000"))["objects"].size() == 152);
  auto r = emu.get("/api/storage/r2/app?cursor=garbage!");
  CHECK(r->status == 400);
  CHECK(body_json(r)["code"] == "R2_INVALID_CURSOR");
}

TEST_CASE("r2 era: buckets are isolated and shared with the binary route", "[r2][era]") {
  Emu emu;
  put_obj(emu, "one", "k", "1");
  put_obj(emu, "two", "k", "2");
  CHECK(body_json(emu.get("/api/storage/r2/one/k"))["content"] == core::base64_encode("1"));
  auto raw = emu.get("/api/r2/two/k");
  CHECK(raw->status == 200);
  CHECK(raw->body == "2");
}

TEST_CASE("r2 era get: a multi-MiB object is served (the original 500s)", "[r2][era]") {
  Emu emu;
  std::string big(3 * 1024 * 1024 + 1, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + 7);
  REQUIRE(emu.put_raw("/api/r2/app/big", big)->status == 200);
  auto r = emu.get("/api/storage/r2/app/big");
  REQUIRE(r->status == 200);
  json j = body_json(r);
  CHECK(j["size"] == big.size());
  CHECK(core::base64_decode(j["content"].get<std::string>()) == big);
}

TEST_CASE("r2 era put: big bodies one after another keep their own bytes (reused buffers)", "[r2][era]") {
  // The HTTP layer reuses the buffers of finished big bodies: a shorter body after a longer one,
  // on the same keep-alive connection and on others, must carry its bytes and nothing left over.
  Emu emu;
  auto bytes = [](size_t n, int seed) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 17) >> 3);
    return s;
  };
  const std::vector<std::pair<size_t, int>> puts = {
      {2 * 1024 * 1024, 1}, {1024 * 1024, 2}, {300 * 1024, 3}, {1024 * 1024 + 5, 4}, {3 * 1024 * 1024, 5}};
  for (auto [n, seed] : puts) put_obj(emu, "reuse", "k" + std::to_string(seed), bytes(n, seed));
  // A KV value from a big JSON body in between, and the same object again from another connection.
  std::string value(400 * 1024, 'v');
  REQUIRE(emu.put_json("/api/storage/kv/reuse/big", {{"value", value}})->status == 200);
  Emu* e = &emu;
  std::thread other([e, &bytes] {
    httplib::Client c("127.0.0.1", e->emu->port());
    json body = {{"content", core::base64_encode(bytes(512 * 1024, 6))}};
    auto r = c.Put("/api/storage/r2/reuse/k6", body.dump(), "application/json");
    CHECK((r && r->status == 200));
  });
  other.join();
  for (auto [n, seed] : std::vector<std::pair<size_t, int>>{{2 * 1024 * 1024, 1}, {1024 * 1024, 2}, {300 * 1024, 3},
                                                            {1024 * 1024 + 5, 4}, {3 * 1024 * 1024, 5}, {512 * 1024, 6}}) {
    auto r = emu.get("/api/storage/r2/reuse/k" + std::to_string(seed));
    REQUIRE(r->status == 200);
    CHECK(core::base64_decode(body_json(r)["content"].get<std::string>()) == bytes(n, seed));
  }
  auto kv = emu.get("/api/storage/kv/reuse/big");
  REQUIRE(kv->status == 200);
  CHECK(body_json(kv)["value"] == value);
}
