// Hostile and malformed input to the S3 endpoint, in process (so the sanitizer pass covers the
// SigV4 parser, the aws-chunked decoder and the XML reader): every case answers a 4xx with S3's
// XML error, nothing crashes or hangs, and nothing is stored. boto3 and the AWS SDK for
// JavaScript cover the well-formed paths (emulator/tests/python/test_s3_boto3.py,
// fixtures/jest/examples/jest/s3.test.js).
#include <catch2/catch.hpp>

#include "api/s3/sigv4.h"
#include "support.h"

using namespace era;
using namespace era::test;

namespace {

bool has_code(const httplib::Result& r, const std::string& code) {
  return r && r->body.find("<Code>" + code + "</Code>") != std::string::npos;
}

httplib::Result s3(Emu& emu, const std::string& method, const std::string& target, const std::string& body = "",
                   const httplib::Headers& extra = {}) {
  return emu.send(method, target, body, s3_signed(emu, method, target, body, extra));
}

}  // namespace

TEST_CASE("s3 boundary: malformed authorization is a 4xx XML error", "[s3]") {
  Emu emu;
  REQUIRE(s3(emu, "PUT", "/s3/bkt")->status == 200);
  const std::string host = "127.0.0.1:" + std::to_string(emu.emu->port());
  const std::vector<std::string> auths = {
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA256 Credential=era-emu",
      "AWS4-HMAC-SHA256 Credential=era-emu/20261204/auto/s3/aws4_request",
      "AWS4-HMAC-SHA256 Credential=era-emu/20261204/auto/s3/aws4_request, SignedHeaders=, Signature=00",
      "AWS4-HMAC-SHA256 Credential=////, SignedHeaders=host, Signature=00",
      "AWS4-HMAC-SHA256 Credential=era-emu/20261204/auto/s3/aws4_request, SignedHeaders=host;missing, Signature=00",
      "AWS4-HMAC-SHA256 Credential=era-emu/20261204/auto/sqs/aws4_request, SignedHeaders=host, Signature=00",
      "AWS AKIA:signature",
      "Bearer token",
      std::string(8000, 'A'),
  };
  for (const auto& a : auths) {
    INFO(a.substr(0, 100));
    auto r = emu.send("GET", "/s3/bkt", "",
                      {{"Host", host}, {"Authorization", a}, {"X-Amz-Date", "20261204T000000Z"},
                       {"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"}});
    REQUIRE(r);
    CHECK(r->status >= 400);
    CHECK(r->status < 500);
    CHECK(r->body.find("<Error><Code>") != std::string::npos);
  }
  // Presigned forms with missing or absurd parameters.
  for (const char* q : {"X-Amz-Algorithm=AWS4-HMAC-SHA256",
                        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x&X-Amz-Date=1&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=0",
                        "X-Amz-Algorithm=HMAC&X-Amz-Credential=era-emu%2F20261204%2Fauto%2Fs3%2Faws4_request&X-Amz-Date=20261204T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=0",
                        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=era-emu%2F20261204%2Fauto%2Fs3%2Faws4_request&X-Amz-Date=20261204T000000Z&X-Amz-Expires=99999999999999999999&X-Amz-SignedHeaders=host&X-Amz-Signature=0"}) {
    INFO(q);
    auto r = emu.get(std::string("/s3/bkt/k?") + q);
    REQUIRE(r);
    CHECK(r->status >= 400);
    CHECK(r->status < 500);
  }
  // Both forms at once.
  auto h = s3_signed(emu, "GET", "/s3/bkt");
  auto both = emu.send("GET", "/s3/bkt?X-Amz-Algorithm=AWS4-HMAC-SHA256", "", h);
  CHECK(both->status == 400);
}

TEST_CASE("s3 boundary: broken aws-chunked bodies store nothing", "[s3]") {
  Emu emu;
  REQUIRE(s3(emu, "PUT", "/s3/bkt")->status == 200);
  const std::vector<std::string> bodies = {
      "",                                               // no final chunk
      "zz\r\nhello\r\n0\r\n\r\n",                       // size not hex
      "5\r\nhelloXX0\r\n\r\n",                          // data not followed by CRLF
      "ffffffffffffffff\r\n",                           // absurd chunk size
      "5\r\nhello\r\n0\r\n\r\nextra",                   // bytes after the end
      "3\r\nabc\r\n" + std::string(5000, '7') + "\r\n", // an endless size line
  };
  for (const auto& b : bodies) {
    INFO(b.substr(0, 40));
    httplib::Headers extra = {{"Content-Encoding", "aws-chunked"}, {"x-amz-decoded-content-length", "5"}};
    auto h = s3_signed(emu, "PUT", "/s3/bkt/chunky", "", extra);
    h.erase("X-Amz-Content-Sha256");
    // Re-sign with the streaming payload marker.
    std::string iso = h.find("X-Amz-Date")->second;
    auto signed_h = api::s3::sign_request(
        "PUT", "/s3/bkt/chunky",
        {{"Host", h.find("Host")->second}, {"Content-Encoding", "aws-chunked"}, {"x-amz-decoded-content-length", "5"}},
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER", {}, iso);
    httplib::Headers send = {{"Host", h.find("Host")->second}, {"Content-Encoding", "aws-chunked"},
                             {"x-amz-decoded-content-length", "5"}};
    for (auto& [k, v] : signed_h) send.emplace(k, v);
    auto r = emu.send("PUT", "/s3/bkt/chunky", b, send);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK((has_code(r, "IncompleteBody") || has_code(r, "InvalidRequest")));
  }
  CHECK(s3(emu, "HEAD", "/s3/bkt/chunky")->status == 404);
}

TEST_CASE("s3 boundary: hostile XML documents", "[s3]") {
  Emu emu;
  REQUIRE(s3(emu, "PUT", "/s3/bkt")->status == 200);
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  const std::vector<std::string> docs = {
      deep,
      "<Delete>" + std::string(200000, '<'),
      "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]><Delete>&b;</Delete>",
      "<Delete><Object><Key></Key></Object></Delete>",
      "<Delete></Delete>",
      "<Wrong/>",
      std::string("<Delete><Object><Key>\xff\xfe</Key></Object></Delete>"),
  };
  for (const auto& d : docs) {
    INFO(d.substr(0, 60));
    auto r = s3(emu, "POST", "/s3/bkt?delete", d);
    REQUIRE(r);
    CHECK(r->status >= 200);
    CHECK(r->status < 500);
  }
  // 1001 keys are refused; the limit on buffered bodies refuses a 2 MiB document before reading it.
  std::string many = "<Delete>";
  for (int i = 0; i < 1001; ++i) many += "<Object><Key>k" + std::to_string(i) + "</Key></Object>";
  many += "</Delete>";
  CHECK(has_code(s3(emu, "POST", "/s3/bkt?delete", many), "MalformedXML"));
  auto big = s3(emu, "POST", "/s3/bkt?delete", std::string(2 << 20, ' '));
  REQUIRE(big);
  CHECK(big->status == 413);
}

TEST_CASE("s3 boundary: keys, buckets and copy sources that try to escape", "[s3]") {
  Emu emu;
  REQUIRE(s3(emu, "PUT", "/s3/bkt")->status == 200);
  REQUIRE(s3(emu, "PUT", "/s3/bkt/..%2F..%2Fetc%2Fpasswd", "payload")->status == 200);
  auto listed = s3(emu, "GET", "/s3/bkt?list-type=2");
  CHECK(listed->body.find("<Key>../../etc/passwd</Key>") != std::string::npos);
  CHECK(s3(emu, "PUT", "/s3/bkt/k", "", {{"x-amz-copy-source", "../../etc/passwd"}})->status == 400);
  CHECK(has_code(s3(emu, "PUT", "/s3/bkt/k", "", {{"x-amz-copy-source", "bkt"}}), "InvalidArgument"));
  CHECK(has_code(s3(emu, "PUT", "/s3/bkt/k", "", {{"x-amz-copy-source", "bkt/missing"}}), "NoSuchKey"));
  CHECK(has_code(s3(emu, "GET", "/s3/b.x"), "InvalidBucketName"));
  CHECK(has_code(s3(emu, "PUT", "/s3/bkt/" + std::string(1100, 'k'), "x"), "KeyTooLongError"));
  CHECK(has_code(s3(emu, "GET", "/s3/bkt?versioning"), "NotImplemented"));
  CHECK(has_code(s3(emu, "PUT", "/s3/bkt/k?partNumber=0&uploadId=u", "x"), "InvalidArgument"));
  CHECK(has_code(s3(emu, "PUT", "/s3/bkt/k?partNumber=1&uploadId=nope", "x"), "NoSuchUpload"));
  CHECK(has_code(s3(emu, "GET", "/s3/bkt?list-type=2&max-keys=-1"), "InvalidArgument"));
  CHECK(has_code(s3(emu, "GET", "/s3/bkt?list-type=2&encoding-type=base64"), "InvalidArgument"));
}
