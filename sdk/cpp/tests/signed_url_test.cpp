// R2Bucket::sign_url against a real emulator: the URL works without a token, expires on the
// virtual clock, and a one-time PUT URL stores exactly one upload.
#include <httplib.h>

#include <chrono>

#include "fixture.h"

using namespace era::client;
using era::client::test::Emu;

namespace {
std::string path_of(const std::string& url) { return url.substr(url.find("/signed/")); }
}  // namespace

TEST_CASE("client sign_url: a GET URL works until it expires on the virtual clock", "[client][r2][signed]") {
  Emu e;
  auto r2 = e.client.r2("pics");
  REQUIRE_OK(r2.put_raw("a.txt", "hello"));
  REQUIRE_OK(e.client.control().freeze());
  SignUrlOptions o;
  o.expires_in = 60;
  auto s = r2.sign_url("a.txt", o);
  REQUIRE_OK(s);
  CHECK(s->url.starts_with(e.emu->url() + "/signed/pics/a.txt?"));
  CHECK(s->method == "GET");
  CHECK_FALSE(s->one_time);
  CHECK(s->expires_at.ends_with("Z"));
  httplib::Client http("127.0.0.1", e.emu->port());
  http.set_url_encode(false);
  auto r = http.Get(path_of(s->url));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "hello");
  REQUIRE_OK(e.client.control().advance(std::chrono::seconds(60)));
  r = http.Get(path_of(s->url));
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(r->body.find("SIGNED_URL_EXPIRED") != std::string::npos);
}

TEST_CASE("client sign_url: one-time PUT with constraints; bad requests are 400 errors", "[client][r2][signed]") {
  Emu e;
  auto r2 = e.client.r2("up");
  SignUrlOptions o;
  o.method = "PUT";
  o.one_time = true;
  o.content_type = "image/png";
  o.max_bytes = 4;
  auto s = r2.sign_url("img.png", o);
  REQUIRE_OK(s);
  CHECK(s->one_time);
  CHECK(s->headers.at("Content-Type") == "image/png");
  httplib::Client http("127.0.0.1", e.emu->port());
  http.set_url_encode(false);
  auto too_big = http.Put(path_of(s->url), "12345", "image/png");
  REQUIRE(too_big);
  CHECK(too_big->status == 403);
  auto ok = http.Put(path_of(s->url), "1234", "image/png");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  auto again = http.Put(path_of(s->url), "1234", "image/png");
  REQUIRE(again);
  CHECK(again->status == 403);
  CHECK(again->body.find("SIGNED_URL_USED") != std::string::npos);
  auto got = r2.get_raw("img.png");
  REQUIRE_OK(got);
  REQUIRE(*got);
  CHECK((*got)->body == "1234");

  SignUrlOptions bad;
  bad.expires_in = 604801;
  auto refused = r2.sign_url("k", bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().status == 400);
}
