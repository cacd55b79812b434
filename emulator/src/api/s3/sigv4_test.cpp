// SigV4 and aws-chunked against the worked examples in AWS's S3 documentation ("Signature
// Calculations for the Authorization Header" and "Transferring Payload in Multiple Chunks"):
// independent of any client library, so a shared misunderstanding cannot pass both sides.
#include <catch2/catch.hpp>

#include "api/s3/chunked.h"
#include "api/s3/sigv4.h"
#include "core/time_util.h"

using namespace era;
using namespace era::api;

namespace {

const s3::Credentials kAws{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
const int64_t kWhen = *core::parse_iso8601("2013-05-24T00:00:00Z");

Request get_example(std::string signature) {
  Request r;
  r.method = "GET";
  r.target = "/test.txt";
  r.path = "/test.txt";
  r.version = "HTTP/1.1";
  r.headers.emplace("Host", "examplebucket.s3.amazonaws.com");
  r.headers.emplace("Range", "bytes=0-9");
  r.headers.emplace("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  r.headers.emplace("x-amz-date", "20130524T000000Z");
  r.headers.emplace("Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=" + signature);
  return r;
}

}  // namespace

TEST_CASE("sigv4: AWS's GET example verifies, and any change breaks it", "[s3][sigv4]") {
  auto ok = s3::verify(get_example("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"), kAws, kWhen);
  REQUIRE(ok);
  CHECK(ok->payload == s3::Payload::hashed);
  CHECK(ok->scope == "20130524/us-east-1/s3/aws4_request");

  auto bad = s3::verify(get_example("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb42"), kAws, kWhen);
  REQUIRE(!bad);
  CHECK(bad.error().code == Code::S3_SIGNATURE_DOES_NOT_MATCH);
  CHECK(bad.error().details["CanonicalRequest"].get<std::string>().find("range:bytes=0-9") != std::string::npos);

  Request changed = get_example("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  changed.headers.erase("Range");
  changed.headers.emplace("Range", "bytes=0-10");
  CHECK(s3::verify(changed, kAws, kWhen).error().code == Code::S3_SIGNATURE_DOES_NOT_MATCH);

  CHECK(s3::verify(get_example("00"), {"someone", kAws.secret_key}, kWhen).error().code == Code::S3_INVALID_ACCESS_KEY);
}

TEST_CASE("sigv4: canonical forms", "[s3][sigv4]") {
  CHECK(s3::canonical_uri("/b/a%20b/c+d") == "/b/a%20b/c%2Bd");
  CHECK(s3::canonical_uri("/b/%7Etilde/x%2Fy") == "/b/~tilde/x%2Fy");  // an encoded slash stays encoded
  CHECK(s3::canonical_query("prefix=a%2Fb&list-type=2&uploads") == "list-type=2&prefix=a%2Fb&uploads=");
  CHECK(s3::canonical_query("X-Amz-Signature=abc&b=2", "X-Amz-Signature") == "b=2");
}

TEST_CASE("sigv4: presigned URLs expire on the given clock", "[s3][sigv4]") {
  Request r;
  r.method = "GET";
  r.path = "/s3/b/k";
  r.headers.emplace("Host", "127.0.0.1:8787");
  std::string query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=era-emu%2F20261204%2Fauto%2Fs3%2Faws4_request"
                      "&X-Amz-Date=20261204T100000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host";
  // Sign it the way a presigner does: the canonical request over the query without the signature.
  std::string canonical = "GET\n/s3/b/k\n" + s3::canonical_query(query) + "\nhost:127.0.0.1:8787\n\nhost\nUNSIGNED-PAYLOAD";
  std::string sts = "AWS4-HMAC-SHA256\n20261204T100000Z\n20261204/auto/s3/aws4_request\n" + s3::hex_sha256(canonical);
  std::string sig = s3::hex_hmac(s3::signing_key("era-emu-secret", "20261204", "auto"), sts);
  r.target = "/s3/b/k?" + query + "&X-Amz-Signature=" + sig;
  parse_query(r.target.substr(r.target.find('?') + 1), r.params);
  const int64_t signed_at = *core::parse_iso8601("2026-12-04T10:00:00Z");
  auto ok = s3::verify(r, {}, signed_at + 60'000);
  REQUIRE(ok);
  CHECK(ok->presigned);
  CHECK(ok->payload == s3::Payload::unsigned_payload);
  auto late = s3::verify(r, {}, signed_at + 60'001);
  REQUIRE(!late);
  CHECK(late.error().code == Code::S3_ACCESS_DENIED);
  CHECK(late.error().message == "Request has expired");
}

TEST_CASE("aws-chunked: AWS's 64 KiB + 1 KiB example, fed in odd slices", "[s3][chunked]") {
  s3::Auth auth;
  auth.payload = s3::Payload::streaming_signed;
  auth.amz_date = "20130524T000000Z";
  auth.scope = "20130524/us-east-1/s3/aws4_request";
  auth.signing_key = s3::signing_key(kAws.secret_key, "20130524", "us-east-1");
  auth.seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  std::string body = "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
                     std::string(65536, 'a') + "\r\n" +
                     "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
                     std::string(1024, 'a') + "\r\n" +
                     "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
  for (size_t slice : {size_t(1), size_t(7), size_t(4096), body.size()}) {
    INFO("slice " << slice);
    std::string out;
    s3::ChunkDecoder d(auth, [&](const char* p, size_t n) -> Status {
      out.append(p, n);
      return {};
    });
    for (size_t i = 0; i < body.size(); i += slice) REQUIRE(d.feed(body.data() + i, std::min(slice, body.size() - i)));
    REQUIRE(d.finish());
    CHECK(out == std::string(66560, 'a'));
  }
  // One changed byte in the second chunk: that chunk's signature fails and none of it is passed on.
  std::string tampered = body;
  tampered[tampered.find("400;") + 90] = 'b';
  std::string out;
  s3::ChunkDecoder d(auth, [&](const char* p, size_t n) -> Status {
    out.append(p, n);
    return {};
  });
  auto st = d.feed(tampered.data(), tampered.size());
  REQUIRE(!st);
  CHECK(st.error().code == Code::S3_SIGNATURE_DOES_NOT_MATCH);
  CHECK(out.size() == 65536);
  // A stream cut short is incomplete, not accepted.
  s3::ChunkDecoder shortd(auth, [](const char*, size_t) -> Status { return {}; });
  REQUIRE(shortd.feed(body.data(), 1000));
  CHECK(shortd.finish().error().code == Code::S3_INCOMPLETE_BODY);
}

TEST_CASE("aws-chunked: unsigned chunks with a checksum trailer", "[s3][chunked]") {
  s3::Auth auth;
  auth.payload = s3::Payload::streaming_unsigned_trailer;
  std::string body = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
  std::string out;
  s3::ChunkDecoder d(auth, [&](const char* p, size_t n) -> Status {
    out.append(p, n);
    return {};
  });
  REQUIRE(d.feed(body.data(), body.size()));
  REQUIRE(d.finish());
  CHECK(out == "hello");
  CHECK(d.trailers().at("x-amz-checksum-crc32") == "NhCmhg==");
  s3::ChunkDecoder bad(auth, [](const char*, size_t) -> Status { return {}; });
  std::string garbage = "zz\r\nhello\r\n";
  CHECK(bad.feed(garbage.data(), garbage.size()).error().code == Code::S3_INCOMPLETE_BODY);
}
