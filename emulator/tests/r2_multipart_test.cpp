// S3-style multipart upload on the binary route, at the real 5 MiB minimum part size
// (the engine unit tests cover the same rules with a small configured minimum).
#include <catch2/catch.hpp>

#include "core/crypto.h"
#include "support.h"

using namespace era;
using namespace era::test;

namespace {

constexpr size_t kMiB = 1024 * 1024;

std::string pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + seed * 13) & 0xff);
  return s;
}

std::string create(Emu& emu, const std::string& path, const httplib::Headers& h = {}) {
  auto r = emu.http->Post(path + "?uploads", h, "", "application/octet-stream");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return body_json(r)["uploadId"];
}

std::string part(Emu& emu, const std::string& path, const std::string& id, int n, const std::string& data) {
  auto r = emu.put_raw(path + "?uploadId=" + id + "&partNumber=" + std::to_string(n), data);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  json j = body_json(r);
  CHECK(j["etag"] == core::to_hex(core::md5(data)));
  return j["etag"];
}

httplib::Result complete(Emu& emu, const std::string& path, const std::string& id, const json& parts) {
  return emu.post_json(path + "?uploadId=" + id, {{"parts", parts}});
}

}  // namespace

TEST_CASE("r2 multipart: happy path with real 5 MiB parts", "[r2][multipart]") {
  Emu emu;
  const std::string path = "/api/r2/b/big/object.bin";
  std::string id = create(emu, path, {{"Content-Type", "video/mp4"}, {"X-Era-Meta-origin", "camera"}});
  std::string p1 = pattern(5 * kMiB, 1), p2 = pattern(5 * kMiB, 2), p3 = pattern(1234, 3);
  std::string e3 = part(emu, path, id, 3, p3);  // any order
  std::string e1 = part(emu, path, id, 1, p1);
  std::string e2 = part(emu, path, id, 2, p2);
  CHECK(emu.get(path)->status == 404);  // not visible before completion

  auto r = complete(emu, path, id,
                    json::array({{{"partNumber", 1}, {"etag", e1}},
                                  {{"partNumber", 2}, {"etag", "\"" + e2 + "\""}},
                                  {{"partNumber", 3}, {"etag", e3}}}));
  REQUIRE(r->status == 200);
  json m = body_json(r);
  std::string md5s = core::md5(p1) + core::md5(p2) + core::md5(p3);
  std::string etag = core::to_hex(core::md5(md5s)) + "-3";
  CHECK(m["etag"] == etag);
  CHECK(m["size"] == p1.size() + p2.size() + p3.size());
  CHECK(m["httpMetadata"]["contentType"] == "video/mp4");
  CHECK(m["customMetadata"] == json{{"origin", "camera"}});

  auto g = emu.get(path);
  REQUIRE(g->status == 200);
  CHECK(g->get_header_value("ETag") == "\"" + etag + "\"");
  CHECK(g->get_header_value("Content-Type") == "video/mp4");
  CHECK(g->body == p1 + p2 + p3);
  // a range across the part boundary
  auto rg = emu.get(path, {{"Range", "bytes=" + std::to_string(5 * kMiB - 3) + "-" + std::to_string(5 * kMiB + 2)}});
  CHECK(rg->status == 206);
  CHECK(rg->body == p1.substr(5 * kMiB - 3) + p2.substr(0, 3));

  // completed uploads are gone
  r = complete(emu, path, id, json::array({{{"partNumber", 1}, {"etag", e1}}}));
  CHECK(r->status == 404);
  CHECK(body_json(r)["code"] == "R2_NO_SUCH_UPLOAD");
}

TEST_CASE("r2 multipart: each error", "[r2][multipart]") {
  Emu emu;
  const std::string path = "/api/r2/b/obj";
  std::string id = create(emu, path);
  std::string small1 = part(emu, path, id, 1, "aaaa");
  std::string small2 = part(emu, path, id, 2, "bb");

  auto expect = [&](const httplib::Result& r, int status, const std::string& code) {
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == status);
    CHECK(body_json(r)["code"] == code);
  };
  // part 1 is not trailing and under 5 MiB
  expect(complete(emu, path, id, json::array({{{"partNumber", 1}, {"etag", small1}}, {{"partNumber", 2}, {"etag", small2}}})),
         400, "R2_ENTITY_TOO_SMALL");
  expect(complete(emu, path, id, json::array({{{"partNumber", 1}, {"etag", "0000"}}})), 400, "R2_INVALID_PART");
  expect(complete(emu, path, id, json::array({{{"partNumber", 7}, {"etag", small1}}})), 400, "R2_INVALID_PART");
  // Out of order: joined by number as workerd does, so part 1 (small, non-trailing) is what fails.
  expect(complete(emu, path, id, json::array({{{"partNumber", 2}, {"etag", small2}}, {{"partNumber", 1}, {"etag", small1}}})),
         400, "R2_ENTITY_TOO_SMALL");
  expect(emu.post_json(path + "?uploadId=" + id, {{"parts", "x"}}), 400, "INVALID_BODY");
  expect(complete(emu, path, "nope", json::array({{{"partNumber", 1}, {"etag", small1}}})), 404, "R2_NO_SUCH_UPLOAD");
  expect(complete(emu, "/api/r2/b/other-key", id, json::array({{{"partNumber", 1}, {"etag", small1}}})), 404,
         "R2_NO_SUCH_UPLOAD");
  expect(emu.put_raw(path + "?uploadId=nope&partNumber=1", "x"), 404, "R2_NO_SUCH_UPLOAD");
  expect(emu.put_raw(path + "?uploadId=" + id + "&partNumber=0", "x"), 400, "R2_INVALID_ARGUMENT");
  expect(emu.put_raw(path + "?uploadId=" + id + "&partNumber=10001", "x"), 400, "R2_INVALID_ARGUMENT");
  expect(emu.put_raw(path + "?uploadId=" + id + "&partNumber=x", "x"), 400, "R2_INVALID_ARGUMENT");
  expect(emu.post_json(path, json::object()), 400, "R2_INVALID_ARGUMENT");

  // non-uniform non-trailing parts (real sizes)
  std::string a = part(emu, path, id, 1, pattern(5 * kMiB, 1));
  std::string b = part(emu, path, id, 2, pattern(5 * kMiB + 1, 2));
  std::string c = part(emu, path, id, 3, "tail");
  auto r = complete(emu, path, id,
                    json::array({{{"partNumber", 1}, {"etag", a}}, {{"partNumber", 2}, {"etag", b}}, {{"partNumber", 3}, {"etag", c}}}));
  expect(r, 400, "R2_INVALID_PART");
  CHECK(body_json(r)["error"] ==
        "All non-trailing parts must have the same length. Non Uniform Part Sizes: Expected part 2 to have size 5242880, found 5242881");
  // a trailing part larger than the others is also refused
  r = complete(emu, path, id, json::array({{{"partNumber", 1}, {"etag", a}}, {{"partNumber", 2}, {"etag", b}}}));
  expect(r, 400, "R2_INVALID_PART");
  CHECK(emu.get(path)->status == 404);

  // abort: the upload is gone afterwards; aborting it again succeeds, as workerd's abort()
  CHECK(emu.del(path + "?uploadId=" + id)->status == 204);
  CHECK(emu.del(path + "?uploadId=" + id)->status == 204);
  expect(emu.put_raw(path + "?uploadId=" + id + "&partNumber=1", "x"), 404, "R2_NO_SUCH_UPLOAD");
}

// issue 18, item 9: workerd's R2MultipartUpload.complete() joins parts by number whatever their
// order in the list, and completes an upload with no parts as an empty object.
TEST_CASE("r2 multipart: parts in any order, and no parts, complete as the Workers binding does", "[r2][multipart]") {
  Emu emu;
  const std::string path = "/api/r2/b/unordered";
  std::string id = create(emu, path);
  std::string a = part(emu, path, id, 1, pattern(5 * kMiB, 1));
  std::string b = part(emu, path, id, 2, "tail");
  auto r = complete(emu, path, id, json::array({{{"partNumber", 2}, {"etag", b}}, {{"partNumber", 1}, {"etag", a}}}));
  REQUIRE(r->status == 200);
  auto got = emu.get(path);
  CHECK(got->body == pattern(5 * kMiB, 1) + "tail");

  const std::string empty_path = "/api/r2/b/empty";
  std::string e = create(emu, empty_path);
  auto done = complete(emu, empty_path, e, json::array());
  REQUIRE(done->status == 200);
  CHECK(body_json(done)["size"] == 0);
  CHECK(body_json(done)["etag"].get<std::string>().ends_with("-0"));
  CHECK(emu.get(empty_path)->status == 200);
  CHECK(emu.get(empty_path)->body.empty());
}

TEST_CASE("r2 multipart: abandoned uploads expire on the virtual clock after 7 days", "[r2][multipart]") {
  Emu emu;
  const std::string path = "/api/r2/b/k";
  std::string id = create(emu, path);
  part(emu, path, id, 1, "abc");
  REQUIRE(emu.post_json("/_emu/time", {{"advance", "6d"}})->status == 200);
  part(emu, path, id, 1, "abd");  // still alive after 6 days
  REQUIRE(emu.post_json("/_emu/time", {{"advance", "1d"}})->status == 200);
  auto r = emu.put_raw(path + "?uploadId=" + id + "&partNumber=2", "x");
  CHECK(r->status == 404);
  CHECK(body_json(r)["code"] == "R2_NO_SUCH_UPLOAD");
}

TEST_CASE("r2 multipart: a part's Content-MD5 / X-Era-Checksum-* is verified, as S3 does", "[r2][multipart]") {
  Emu emu;
  const std::string path = "/api/r2/b/checked";
  std::string id = create(emu, path);
  const std::string data = pattern(3 * kMiB + 17, 5);  // several buffers: digested off the request thread
  const std::string part_path = path + "?uploadId=" + id + "&partNumber=1";
  auto code_of = [](const httplib::Result& r) {
    REQUIRE(r);
    INFO(r->body);
    return std::to_string(r->status) + " " + body_json(r)["code"].get<std::string>();
  };

  auto r = emu.put_raw(part_path, data, "application/octet-stream", {{"Content-MD5", core::base64_encode(core::md5("something else"))}});
  CHECK(code_of(r) == "400 R2_BAD_DIGEST");
  CHECK(body_json(r)["actual"] == core::to_hex(core::md5(data)));
  r = emu.put_raw(part_path, data, "application/octet-stream", {{"X-Era-Checksum-Sha256", core::to_hex(core::sha256("nope"))}});
  CHECK(code_of(r) == "400 R2_BAD_DIGEST");
  // A malformed digest is refused before the body is read (and the connection closed): small body.
  CHECK(code_of(emu.put_raw(part_path, "x", "application/octet-stream", {{"Content-MD5", "not base64!"}})) ==
        "400 R2_INVALID_DIGEST");
  // Nothing was recorded for part 1: completing with it fails.
  CHECK(code_of(complete(emu, path, id, json::array({{{"partNumber", 1}, {"etag", core::to_hex(core::md5(data))}}}))) ==
        "400 R2_INVALID_PART");

  r = emu.put_raw(part_path, data, "application/octet-stream", {{"Content-MD5", core::base64_encode(core::md5(data))},
                                    {"X-Era-Checksum-Sha256", core::to_hex(core::sha256(data))}});
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  CHECK(body_json(r)["etag"] == core::to_hex(core::md5(data)));
  r = complete(emu, path, id, json::array({{{"partNumber", 1}, {"etag", core::to_hex(core::md5(data))}}}));
  REQUIRE(r->status == 200);
  CHECK(emu.get(path)->body == data);
}
