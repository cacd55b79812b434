// Bucket access (issue 8): a bucket declared "access": "public" in era-emu.json serves unsigned
// GET/HEAD at /public/{bucket}/{key+}; private (the default) and undeclared buckets answer 403.
// Also the per-bucket signedUrlHost and maxObjectSize as signed URLs apply them.
#include <catch2/catch.hpp>

#include "products_support.h"
#include "support.h"

using namespace era;
using namespace era::test;

namespace {

constexpr const char* kConfig = R"({
  // the worked example of docs/products.md, trimmed to access
  "buckets": [
    {"name": "site", "access": "public"},
    {"name": "avatars", "access": "private", "signedUrlHost": "https://cdn.example.test/", "maxObjectSize": 8},
    {"name": "vault"}
  ]
})";

void put_object(Emu& emu, const std::string& bucket, const std::string& key, const std::string& body,
                const httplib::Headers& h = {}) {
  auto r = emu.put_raw("/api/r2/" + bucket + "/" + enc(key), body, "text/html", h);
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

void private_403(const httplib::Result& r, const std::string& bucket) {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 403);
  json b = body_json(r);
  CHECK(b["code"] == "PUBLIC_ACCESS_DENIED");
  CHECK(b["reason"] == "private_bucket");
  CHECK(b["bucket"] == bucket);
}

}  // namespace

TEST_CASE("a public bucket serves unsigned GET and HEAD like the binary route", "[public]") {
  TempDir dir;
  Emu emu(with_config(write_file(dir.path / "era-emu.json", kConfig)));
  put_object(emu, "site", "index.html", "<h1>hi</h1>", {{"Cache-Control", "max-age=60"}});

  auto r = emu.get("/public/site/index.html");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "<h1>hi</h1>");
  CHECK(r->get_header_value("Content-Type") == "text/html");
  CHECK(r->get_header_value("Cache-Control") == "max-age=60");
  std::string etag = r->get_header_value("ETag");
  CHECK_FALSE(etag.empty());

  auto head = emu.send("HEAD", "/public/site/index.html", "");
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->get_header_value("Content-Length") == "11");
  CHECK(head->body.empty());

  auto part = emu.get("/public/site/index.html", {{"Range", "bytes=1-2"}});
  REQUIRE(part);
  CHECK(part->status == 206);
  CHECK(part->body == "h1");
  auto same = emu.get("/public/site/index.html", {{"If-None-Match", etag}});
  REQUIRE(same);
  CHECK(same->status == 304);
  auto bad_range = emu.get("/public/site/index.html", {{"Range", "bytes=50-60"}});
  REQUIRE(bad_range);
  CHECK(bad_range->status == 416);

  auto nf = emu.get("/public/site/missing.html");
  REQUIRE(nf);
  CHECK(nf->status == 404);
  // Read-only: no unsigned writes through the public path.
  auto w = emu.put_raw("/public/site/index.html", "defaced");
  REQUIRE(w);
  CHECK(w->status == 405);
  CHECK(emu.get("/public/site/index.html")->body == "<h1>hi</h1>");
}

TEST_CASE("private, default and undeclared buckets refuse unsigned access; signed URLs still work",
          "[public]") {
  TempDir dir;
  Emu emu(with_config(write_file(dir.path / "era-emu.json", kConfig)));
  for (const char* b : {"avatars", "vault", "undeclared"}) {
    put_object(emu, b, "x", "secret");
    private_403(emu.get(std::string("/public/") + b + "/x"), b);
    auto head = emu.send("HEAD", std::string("/public/") + b + "/x", "");
    REQUIRE(head);
    CHECK(head->status == 403);  // no body on HEAD
    private_403(emu.get(std::string("/public/") + b + "/missing"), b);  // no existence leak
  }
  auto s = emu.post_json("/api/signed-urls", {{"bucket", "vault"}, {"key", "x"}});
  std::string url = body_json(s)["url"];
  auto r = emu.get(url.substr(url.find("/signed/")));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "secret");
}

TEST_CASE("without a config file every bucket is private", "[public]") {
  Emu emu;
  put_object(emu, "site", "index.html", "x");
  private_403(emu.get("/public/site/index.html"), "site");
}

TEST_CASE("public reads need no API token", "[public]") {
  TempDir dir;
  Options o = with_config(write_file(dir.path / "era-emu.json", kConfig));
  o.token = "tok";
  Emu emu(o);
  put_object(emu, "site", "a", "open", {{"Authorization", "Bearer tok"}});
  auto r = emu.get("/public/site/a");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "open");
  CHECK(emu.get("/public/vault/a")->status == 403);
  CHECK(emu.get("/api/r2/site/a")->status == 401);
}

TEST_CASE("a bucket's signedUrlHost and maxObjectSize shape its signed URLs", "[public][signed]") {
  TempDir dir;
  Emu emu(with_config(write_file(dir.path / "era-emu.json", kConfig)));
  json s = body_json(emu.post_json("/api/signed-urls", {{"bucket", "avatars"}, {"key", "u/1.png"}, {"method", "PUT"}}));
  std::string url = s["url"];
  CHECK(url.starts_with("https://cdn.example.test/signed/avatars/u/1.png?X-Era-Method=PUT&"));
  std::string path = url.substr(url.find("/signed/"));
  // No maxBytes in the URL, but the bucket's maxObjectSize (8) still caps the upload.
  auto big = emu.put_raw(path, "123456789");
  REQUIRE(big);
  CHECK(big->status == 403);
  CHECK(body_json(big)["code"] == "SIGNED_URL_TOO_LARGE");
  CHECK(emu.put_raw(path, "12345678")->status == 200);
  // Other buckets use the emulator's own URL.
  json v = body_json(emu.post_json("/api/signed-urls", {{"bucket", "vault"}, {"key", "k"}}));
  CHECK(v["url"].get<std::string>().starts_with(emu.emu->url() + "/signed/vault/k?"));
}
