// Signed and one-time URLs (issue 8): POST /api/signed-urls, then GET/PUT /signed/{b}/{k+}
// through real HTTP, every rule on the virtual clock (frozen at kT0; advanced, never slept).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "core/time_util.h"
#include "products_support.h"
#include "support.h"

using namespace era;
using namespace era::test;

namespace {

Options frozen(Options o = {}) {
  o.clock_mode = "frozen";
  o.clock_start_ms = kT0;
  o.sweep_interval_ms = 0;
  return o;
}

json sign(Emu& emu, const json& req, const httplib::Headers& h = {}) {
  auto r = emu.post_json("/api/signed-urls", req, h);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return body_json(r);
}

// The URL's path and query (the tests' client is already bound to the emulator).
std::string path_of(const std::string& url) {
  size_t scheme = url.find("://");
  REQUIRE(scheme != std::string::npos);
  size_t slash = url.find('/', scheme + 3);
  REQUIRE(slash != std::string::npos);
  return url.substr(slash);
}

void put_object(Emu& emu, const std::string& bucket, const std::string& key, const std::string& body,
                const std::string& type = "text/plain") {
  auto r = emu.put_raw("/api/r2/" + bucket + "/" + enc(key), body, type);
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

// Expects a 403 with this code and reason.
void denied(const httplib::Result& r, const char* code, const char* reason) {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 403);
  json b = body_json(r);
  CHECK(b["code"] == code);
  CHECK(b["reason"] == reason);
}

int status_of(const httplib::Result& r) { return r ? r->status : -1; }

// Replaces the value of query parameter `name` (or appends the raw suffix when `value` is empty
// and the parameter is missing).
std::string with_param(const std::string& path, const std::string& name, const std::string& value) {
  size_t at = path.find(name + "=");
  REQUIRE(at != std::string::npos);
  size_t start = at + name.size() + 1;
  size_t end = path.find('&', start);
  return path.substr(0, start) + value + (end == std::string::npos ? "" : path.substr(end));
}

std::string without_param(const std::string& path, const std::string& name) {
  size_t at = path.find("&" + name + "=");
  REQUIRE(at != std::string::npos);
  size_t end = path.find('&', at + 1);
  return path.substr(0, at) + (end == std::string::npos ? "" : path.substr(end));
}

// n clients released at once, one request each (send(client, i)); counts 200s (with body
// `ok_body` when given), 403 SIGNED_URL_USED and anything else.
struct RaceCount {
  int ok = 0, used = 0, other = 0;
};
RaceCount race(Emu& emu, int n, const std::function<httplib::Result(httplib::Client&, int)>& send,
               const std::optional<std::string>& ok_body = std::nullopt) {
  std::atomic<int> ok{0}, used{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", emu.emu->port());
      c.set_url_encode(false);
      while (!go) std::this_thread::yield();
      auto r = send(c, i);
      if (r && r->status == 200 && (!ok_body || r->body == *ok_body)) ++ok;
      else if (r && r->status == 403 && r->body.find("SIGNED_URL_USED") != std::string::npos) ++used;
      else ++other;
    });
  go = true;
  for (auto& t : threads) t.join();
  return {ok.load(), used.load(), other.load()};
}

}  // namespace

TEST_CASE("signed GET works until its expiry on the virtual clock, not one millisecond after",
          "[signed]") {
  Emu emu(frozen());
  put_object(emu, "pics", "a/b c.txt", "hello");
  json s = sign(emu, {{"bucket", "pics"}, {"key", "a/b c.txt"}, {"expiresIn", 60}});
  CHECK(s["method"] == "GET");
  CHECK(s["one_time"] == false);
  CHECK(s["expires_at"] == "2030-01-01T00:01:00.000Z");
  CHECK(s["expires_ms"] == kT0 + 60'000);
  std::string url = s["url"];
  CHECK(url.starts_with(emu.emu->url() + "/signed/pics/a/b%20c.txt?"));
  std::string p = path_of(url);

  auto r = emu.get(p);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "hello");
  CHECK(r->get_header_value("Content-Type") == "text/plain");

  clock_at(emu, 59'999);
  CHECK(status_of(emu.get(p)) == 200);
  clock_at(emu, 60'000);
  auto late = emu.get(p);
  denied(late, "SIGNED_URL_EXPIRED", "expired");
  CHECK(body_json(late)["expires_ms"] == kT0 + 60'000);
  clock_at(emu, 10 * kDayMs);
  denied(emu.get(p), "SIGNED_URL_EXPIRED", "expired");
}

TEST_CASE("signed GET serves like the binary route: HEAD, Range, conditionals, 404", "[signed]") {
  Emu emu(frozen());
  put_object(emu, "pics", "k", "0123456789");
  std::string p = path_of(sign(emu, {{"bucket", "pics"}, {"key", "k"}})["url"]);

  auto head = emu.send("HEAD", p, "");
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->get_header_value("Content-Length") == "10");
  std::string etag = head->get_header_value("ETag");

  auto part = emu.get(p, {{"Range", "bytes=2-4"}});
  REQUIRE(part);
  CHECK(part->status == 206);
  CHECK(part->body == "234");
  CHECK(part->get_header_value("Content-Range") == "bytes 2-4/10");

  auto same = emu.get(p, {{"If-None-Match", etag}});
  REQUIRE(same);
  CHECK(same->status == 304);

  std::string missing = path_of(sign(emu, {{"bucket", "pics"}, {"key", "nope"}})["url"]);
  auto nf = emu.get(missing);
  REQUIRE(nf);
  CHECK(nf->status == 404);
  CHECK(body_json(nf)["code"] == "R2_OBJECT_NOT_FOUND");
}

TEST_CASE("a signed URL refuses every tampered part with 403 bad_signature", "[signed]") {
  Emu emu(frozen());
  json s = sign(emu, {{"bucket", "up"}, {"key", "dir/file.bin"}, {"method", "PUT"}, {"expiresIn", 600},
                      {"oneTime", true}, {"contentType", "image/png"}, {"maxBytes", 100}});
  CHECK(s["headers"]["Content-Type"] == "image/png");
  std::string p = path_of(s["url"]);
  auto put = [&](const std::string& path) { return emu.put_raw(path, "png!", "image/png"); };

  std::string sig = p.substr(p.find("X-Era-Signature=") + 16);
  std::string flipped = sig;
  flipped[0] = flipped[0] == 'a' ? 'b' : 'a';
  std::vector<std::pair<std::string, std::string>> tampered = {
      {"bucket", "/signed/up2/dir/file.bin" + p.substr(p.find('?'))},
      {"key", "/signed/up/dir/file.bin2" + p.substr(p.find('?'))},
      {"expiry", with_param(p, "X-Era-Expires", std::to_string(kT0 + 601'000))},
      {"max bytes", with_param(p, "X-Era-Max-Bytes", "1000")},
      {"content type", with_param(p, "X-Era-Content-Type", "image%2Fjpeg")},
      {"nonce", with_param(p, "X-Era-Once", std::string(32, '0'))},
      {"signature", with_param(p, "X-Era-Signature", flipped)},
      {"max bytes dropped", without_param(p, "X-Era-Max-Bytes")},
      {"content type dropped", without_param(p, "X-Era-Content-Type")},
      {"nonce dropped", without_param(p, "X-Era-Once")},
  };
  for (const auto& [what, path] : tampered) {
    INFO("tampered: " << what << " → " << path);
    denied(put(path), "SIGNED_URL_BAD_SIGNATURE", "bad_signature");
  }
  // The method parameter is signed too: a PUT URL relabelled GET and used with GET.
  denied(emu.get(with_param(p, "X-Era-Method", "GET")), "SIGNED_URL_BAD_SIGNATURE", "bad_signature");
  denied(put(without_param(p, "X-Era-Signature")), "SIGNED_URL_MALFORMED", "malformed");
  denied(put(with_param(p, "X-Era-Expires", "soon")), "SIGNED_URL_MALFORMED", "malformed");

  // Nothing was stored and the refused attempts did not use up the one-time URL.
  CHECK(status_of(emu.get("/api/r2/up/dir/file.bin")) == 404);
  auto ok = put(p);
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(status_of(emu.get("/api/r2/up/dir/file.bin")) == 200);
}

TEST_CASE("a signed URL is refused for the other method", "[signed]") {
  Emu emu(frozen());
  put_object(emu, "b", "k", "v");
  std::string get_url = path_of(sign(emu, {{"bucket", "b"}, {"key", "k"}})["url"]);
  std::string put_url = path_of(sign(emu, {{"bucket", "b"}, {"key", "k"}, {"method", "PUT"}})["url"]);
  auto r = emu.put_raw(get_url, "overwrite", "text/plain");
  denied(r, "SIGNED_URL_METHOD_MISMATCH", "method_mismatch");
  CHECK(body_json(r)["signed_method"] == "GET");
  denied(emu.get(put_url), "SIGNED_URL_METHOD_MISMATCH", "method_mismatch");
  CHECK(status_of(emu.del(get_url)) == 405);
  CHECK(emu.get("/api/r2/b/k")->body == "v");
}

TEST_CASE("signed PUT streams the body in with its headers; Content-Type must match", "[signed]") {
  Emu emu(frozen());
  std::string p = path_of(sign(emu, {{"bucket", "up"}, {"key", "doc"}, {"method", "PUT"},
                                     {"contentType", "application/pdf"}})["url"]);
  denied(emu.put_raw(p, "%PDF", "text/plain"), "SIGNED_URL_CONTENT_TYPE", "content_type_mismatch");
  denied(emu.send("PUT", p, "%PDF"), "SIGNED_URL_CONTENT_TYPE", "content_type_mismatch");
  CHECK(status_of(emu.get("/api/r2/up/doc")) == 404);

  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = char('a' + (i / 4096) % 26);
  auto r = emu.put_raw(p, big, "application/pdf", {{"X-Era-Meta-Owner", "ann"}, {"Cache-Control", "no-store"}});
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 200);
  auto back = emu.get("/api/r2/up/doc");
  REQUIRE(back);
  CHECK(back->body == big);
  CHECK(back->get_header_value("Content-Type") == "application/pdf");
  CHECK(back->get_header_value("X-Era-Meta-owner") == "ann");
  CHECK(back->get_header_value("Cache-Control") == "no-store");
}

TEST_CASE("signed PUT over maxBytes is refused by Content-Length and mid-stream; nothing is stored",
          "[signed]") {
  Emu emu(frozen());
  std::string p = path_of(sign(emu, {{"bucket", "up"}, {"key", "capped"}, {"method", "PUT"}, {"maxBytes", 10}})["url"]);

  auto r = emu.put_raw(p, std::string(11, 'x'));
  denied(r, "SIGNED_URL_TOO_LARGE", "too_large");
  CHECK(body_json(r)["max_bytes"] == 10);
  CHECK(status_of(emu.get("/api/r2/up/capped")) == 404);

  // Chunked: no Content-Length, so the emulator counts bytes as they arrive.
  auto chunked = [&](std::vector<std::string> chunks) {
    httplib::Client c("127.0.0.1", emu.emu->port());
    c.set_url_encode(false);
    auto i = std::make_shared<size_t>(0);
    httplib::ContentProviderWithoutLength provider = [chunks, i](size_t, httplib::DataSink& sink) {
      if (*i == chunks.size()) {
        sink.done();
        return true;
      }
      const std::string& chunk = chunks[(*i)++];
      return sink.write(chunk.data(), chunk.size());
    };
    return c.Put(p, httplib::Headers{}, provider, "application/octet-stream");
  };
  denied(chunked({"1234", "5678", "90ab"}), "SIGNED_URL_TOO_LARGE", "too_large");
  CHECK(status_of(emu.get("/api/r2/up/capped")) == 404);
  // 1 MiB chunks far past the cap: reading stops at the first one and the connection closes, so
  // the client may see the 403 or, still sending, a reset. Either way nothing is stored.
  auto huge = chunked(std::vector<std::string>(8, std::string(1 << 20, 'z')));
  if (huge) denied(huge, "SIGNED_URL_TOO_LARGE", "too_large");
  CHECK(status_of(emu.get("/api/r2/up/capped")) == 404);

  auto exact = chunked({"12345", "67890"});
  REQUIRE(exact);
  CHECK(exact->status == 200);
  CHECK(emu.get("/api/r2/up/capped")->body == "1234567890");
  auto exact_cl = emu.put_raw(p, "abcdefghij");
  REQUIRE(exact_cl);
  CHECK(exact_cl->status == 200);
}

TEST_CASE("a signed upload that is refused anyway is answered from its head, before any body byte",
          "[signed][http]") {
  Emu emu(frozen());
  std::string p = path_of(sign(emu, {{"bucket", "up"}, {"key", "early"}, {"method", "PUT"}, {"maxBytes", 10},
                                     {"oneTime", true}})["url"]);
  // Heads only: were the server waiting for the declared body, these would stall until the body
  // deadline instead of answering at once (raw_exchange reads until the server closes).
  auto head_only = [&](const std::string& path, const std::string& length) {
    return raw_exchange(emu.emu->port(),
                        "PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + length + "\r\n\r\n",
                        false);
  };
  auto code_of = [](const std::string& resp) { return json::parse(resp.substr(resp.find("\r\n\r\n") + 4))["code"]; };
  std::string over = head_only(p, "1000000000");
  CHECK(over.starts_with("HTTP/1.1 403"));
  CHECK(code_of(over) == "SIGNED_URL_TOO_LARGE");
  std::string forged = head_only(with_param(p, "X-Era-Max-Bytes", "2000000000"), "1000000000");
  CHECK(forged.starts_with("HTTP/1.1 403"));
  CHECK(code_of(forged) == "SIGNED_URL_BAD_SIGNATURE");
  // Over the engine's single-PUT limit with no maxBytes on the URL: R2's own EntityTooLarge (400).
  std::string open_url = path_of(sign(emu, {{"bucket", "up"}, {"key", "big"}, {"method", "PUT"}})["url"]);
  std::string huge = head_only(open_url, "999999999999");
  CHECK(huge.starts_with("HTTP/1.1 400"));
  CHECK(code_of(huge) == "R2_ENTITY_TOO_LARGE");
  // None of that used up the one-time URL.
  auto ok = emu.put_raw(p, "0123456789");
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("a one-time GET URL works for exactly one of 16 concurrent requests", "[signed][concurrency]") {
  Emu emu(frozen());
  put_object(emu, "b", "secret.txt", "only once");
  for (int round = 0; round < 3; ++round) {
    std::string p = path_of(sign(emu, {{"bucket", "b"}, {"key", "secret.txt"}, {"oneTime", true}})["url"]);
    RaceCount n = race(emu, 16, [&](httplib::Client& c, int) { return c.Get(p.c_str()); }, "only once");
    CHECK(n.ok == 1);
    CHECK(n.used == 15);
    CHECK(n.other == 0);
    denied(emu.get(p), "SIGNED_URL_USED", "already_used");
  }
}

TEST_CASE("a one-time PUT URL stores exactly one of 16 concurrent uploads", "[signed][concurrency]") {
  Emu emu(frozen());
  std::string p = path_of(sign(emu, {{"bucket", "b"}, {"key", "avatar"}, {"method", "PUT"}, {"oneTime", true}})["url"]);
  std::vector<std::string> winner(16);
  RaceCount n = race(emu, 16, [&](httplib::Client& c, int i) {
    std::string body = "upload-" + std::to_string(i) + std::string(512, char('a' + i));  // small: the losers' 403 comes before their body is read
    auto r = c.Put(p.c_str(), body, "application/octet-stream");
    if (r && r->status == 200) winner[i] = body;
    return r;
  });
  CHECK(n.ok == 1);
  CHECK(n.used == 15);
  CHECK(n.other == 0);
  std::string stored = emu.get("/api/r2/b/avatar")->body;
  CHECK(std::find(winner.begin(), winner.end(), stored) != winner.end());
  CHECK_FALSE(stored.empty());
  denied(emu.put_raw(p, "late"), "SIGNED_URL_USED", "already_used");
}

TEST_CASE("a failed use does not burn a one-time URL; a successful one does", "[signed]") {
  Emu emu(frozen());
  std::string up = path_of(sign(emu, {{"bucket", "b"}, {"key", "k"}, {"method", "PUT"}, {"oneTime", true},
                                      {"maxBytes", 5}})["url"]);
  denied(emu.put_raw(up, "too long"), "SIGNED_URL_TOO_LARGE", "too_large");
  CHECK(status_of(emu.put_raw(up, "fits")) == 200);
  denied(emu.put_raw(up, "again"), "SIGNED_URL_USED", "already_used");

  std::string down = path_of(sign(emu, {{"bucket", "b"}, {"key", "later"}, {"oneTime", true}})["url"]);
  CHECK(status_of(emu.get(down)) == 404);  // not there yet: the URL stays usable
  put_object(emu, "b", "later", "now");
  CHECK(emu.get(down)->body == "now");
  denied(emu.get(down), "SIGNED_URL_USED", "already_used");

  // An injected fault skips the handler: the URL is not consumed either.
  auto f = emu.post_json("/_emu/faults", {{"service", "r2"}, {"op", "get"}, {"key", "faulty"}, {"times", 1},
                                          {"action", {{"type", "error"}, {"status", 503}, {"code", "UNAVAILABLE"}}}});
  REQUIRE(f);
  REQUIRE(f->status == 201);
  put_object(emu, "b", "faulty", "x");
  std::string fp = path_of(sign(emu, {{"bucket", "b"}, {"key", "faulty"}, {"oneTime", true}})["url"]);
  CHECK(status_of(emu.get(fp)) == 503);
  CHECK(status_of(emu.get(fp)) == 200);
  CHECK(status_of(emu.get(fp)) == 403);
}

TEST_CASE("signed URLs and used one-time nonces survive a restart on the same data dir", "[signed]") {
  TempDir dir;
  std::string reusable, once;
  {
    Emu emu(frozen(Emu::on_dir(dir.path.string())));
    put_object(emu, "b", "k", "durable");
    reusable = path_of(sign(emu, {{"bucket", "b"}, {"key", "k"}, {"expiresIn", 3600}})["url"]);
    once = path_of(sign(emu, {{"bucket", "b"}, {"key", "k"}, {"oneTime", true}})["url"]);
    CHECK(status_of(emu.get(once)) == 200);
  }
  {
    Emu emu(frozen(Emu::on_dir(dir.path.string())));
    auto r = emu.get(reusable);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "durable");
    denied(emu.get(once), "SIGNED_URL_USED", "already_used");
  }
  // Another data dir has another secret.
  Emu other(frozen());
  put_object(other, "b", "k", "elsewhere");
  denied(other.get(reusable), "SIGNED_URL_BAD_SIGNATURE", "bad_signature");
}

TEST_CASE("signing requests are validated", "[signed]") {
  Emu emu(frozen());
  auto status = [&](const json& body) {
    auto r = emu.post_json("/api/signed-urls", body);
    REQUIRE(r);
    INFO(r->body);
    return r->status;
  };
  CHECK(status({{"bucket", "b"}, {"key", "k"}, {"expiresIn", 604800}}) == 200);
  CHECK(status({{"bucket", "b"}, {"key", "k"}, {"expiresIn", 604801}}) == 400);
  CHECK(status({{"bucket", "b"}, {"key", "k"}, {"expiresIn", 0}}) == 400);
  CHECK(status({{"bucket", "b"}, {"key", "k"}, {"expiresIn", 1.5}}) == 400);
  CHECK(status({{"bucket", "b"}, {"key", "k"}, {"method", "DELETE"}}) == 400);
  CHECK(status({{"bucket", "b"}, {"key", "k"}, {"method", "put"}, {"maxBytes", 0}}) == 400);
  CHECK(status({{"bucket", "b"}, {"key", "k"}, {"contentType", "text/plain"}}) == 400);  // GET
  CHECK(status({{"bucket", "b"}, {"key", "k"}, {"oneTime", "yes"}}) == 400);
  CHECK(status({{"bucket", "b/c"}, {"key", "k"}}) == 400);
  CHECK(status({{"bucket", "b"}, {"key", ""}}) == 400);
  CHECK(status({{"bucket", "b"}}) == 400);
  auto r = emu.http->Post("/api/signed-urls", "not json", "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  // Default expiry: one hour.
  CHECK(sign(emu, {{"bucket", "b"}, {"key", "k"}})["expires_ms"] == kT0 + 3'600'000);
}

TEST_CASE("with --token, signing needs the token and signed URLs do not", "[signed]") {
  Options o = frozen();
  o.token = "s3cret";
  Emu emu(o);
  httplib::Headers auth = {{"Authorization", "Bearer s3cret"}};
  CHECK(status_of(emu.post_json("/api/signed-urls", {{"bucket", "b"}, {"key", "k"}})) == 401);
  CHECK(status_of(emu.put_raw("/api/r2/b/k", "v", "text/plain", auth)) == 200);
  std::string p = path_of(sign(emu, {{"bucket", "b"}, {"key", "k"}}, auth)["url"]);
  auto r = emu.get(p);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "v");
  CHECK(status_of(emu.get("/api/r2/b/k")) == 401);
}
