// The HTTP/1.1 server (api/http_server.cpp, Boost.Beast) and the boundary in front of the
// handlers (api/server.cpp, api/boundary.cpp), on raw sockets: strict framing, truncated bodies,
// deadlines, 413 before the body, JSON nesting, header bytes, Host and Origin, CORS, slow
// clients that must not stall anyone, and a stop() that does not wait for clients.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/crypto.h"
#include "support.h"

using namespace era;
using namespace era::test;
using namespace std::chrono_literals;

namespace {

struct Socket {
  int fd = -1;
  explicit Socket(int port) : fd(connect_loopback(port)) {
    timeval tv{10, 0};  // a hung server fails the test instead of hanging it
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Socket() { ::close(fd); }
  void send(const std::string& s) const {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      off += size_t(n);
    }
  }
  // One response: head, then Content-Length bytes of body.
  std::string response() {
    while (pending.find("\r\n\r\n") == std::string::npos) REQUIRE(more());
    size_t head = pending.find("\r\n\r\n") + 4;
    size_t len = 0;
    auto cl = pending.find("Content-Length: ");
    if (cl != std::string::npos && cl < head) len = std::stoul(pending.substr(cl + 16));
    while (pending.size() < head + len) REQUIRE(more());
    std::string r = pending.substr(0, head + len);
    pending.erase(0, head + len);
    return r;
  }
  bool closed_by_server() {  // EOF next (nothing more buffered)
    return pending.empty() && !more();
  }
  bool more() {
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending.append(buf, size_t(n));
    return true;
  }
  std::string pending;
};

// A D1 query that counts `rows` rows of a recursive CTE on its own connection: CPU time on a
// handler thread, as much as asked for.
httplib::Result slow_d1_query(const Emu& emu, int rows) {
  httplib::Client c("127.0.0.1", emu.emu->port());
  c.set_read_timeout(120, 0);
  std::string sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
                    std::to_string(rows) + ") SELECT count(*) AS n FROM c";
  return c.Post("/api/storage/d1/db/query", json{{"sql", sql}}.dump(), "application/json");
}

std::string body_of(const std::string& resp) { return resp.substr(resp.find("\r\n\r\n") + 4); }

const std::string kHost = "Host: 127.0.0.1\r\n";

std::string put_kv(const std::string& key, const std::string& extra_headers, const std::string& body) {
  return "PUT /api/storage/kv/app/" + key + " HTTP/1.1\r\n" + kHost + extra_headers + "\r\n" + body;
}

}  // namespace

TEST_CASE("http: pipelined requests are answered in order on one connection", "[http]") {
  Emu emu;
  Socket s(emu.emu->port());
  s.send(put_kv("k", "Content-Length: 15\r\n", "{\"value\":\"one\"}") +
         "GET /api/storage/kv/app/k HTTP/1.1\r\n" + kHost + "\r\n" +
         "GET /api/storage/kv/app/missing HTTP/1.1\r\n" + kHost + "Connection: close\r\n\r\n");
  std::string put = s.response(), get = s.response(), missing = s.response();
  CHECK(put.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(get.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(json::parse(body_of(get))["value"] == "one");
  CHECK(missing.starts_with("HTTP/1.1 404 "));
  CHECK(missing.find("Connection: close\r\n") != std::string::npos);
  CHECK(s.closed_by_server());
}

TEST_CASE("http: malformed framing gets a JSON error, a closed connection, and runs nothing", "[http]") {
  Emu emu;
  // Each request would store app/smuggled if any part of it were executed.
  const std::string hidden = "PUT /api/storage/kv/app/smuggled HTTP/1.1\r\n" + kHost +
                             "Content-Length: 13\r\n\r\n{\"value\":\"x\"}";
  const std::string ok_body = "{\"value\":\"y\"}";
  struct Case { std::string request; std::string status; std::string code; std::string says; };
  std::vector<Case> cases = {
      {"GARBAGE\r\n\r\n", "400", "BAD_REQUEST", "malformed"},
      {"GET /_emu/health HTTP/2.0\r\n" + kHost + "\r\n", "400", "BAD_REQUEST", "unsupported HTTP version"},
      {"GET _emu/health HTTP/1.1\r\n" + kHost + "\r\n", "400", "BAD_REQUEST", "must be a path"},
      {"GET /_emu/health HTTP/1.1\r\n" + kHost + "no colon here\r\n\r\n", "400", "BAD_REQUEST", "malformed"},
      {put_kv("smuggled", "Content-Length: ten\r\n", ok_body), "400", "BAD_REQUEST", "Content-Length"},
      {put_kv("smuggled", "Content-Length: %31%33\r\n", ok_body), "400", "BAD_REQUEST", "Content-Length"},
      {put_kv("k", "Content-Length: 13\r\nContent-Length: " + std::to_string(13 + hidden.size()) + "\r\n",
              ok_body + hidden),
       "400", "BAD_REQUEST", "differing Content-Length"},
      {put_kv("k", "Content-Length: 13\r\nTransfer-Encoding: chunked\r\n", "d\r\n" + ok_body + "\r\n0\r\n\r\n" + hidden),
       "400", "BAD_REQUEST", "Transfer-Encoding"},
      {put_kv("k", "Transfer-Encoding: chunked\r\nContent-Length: 13\r\n", "d\r\n" + ok_body + "\r\n0\r\n\r\n" + hidden),
       "400", "BAD_REQUEST", "Content-Length"},
      {put_kv("k", "Transfer-Encoding: gzip\r\n", ""), "501", "NOT_IMPLEMENTED", "only chunked is"},
      {put_kv("k", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), "501",
       "NOT_IMPLEMENTED", "gzip"},
      {"GET /_emu/health HTTP/1.1\r\n" + kHost + "X-A: one\r\n two\r\n\r\n", "400", "BAD_REQUEST", "obs-fold"},
      {"GET /_emu/health HTTP/1.1\r\n" + kHost + "X-A: o" + std::string(1, '\0') + "e\r\n\r\n", "400",
       "BAD_REQUEST", "NUL, CR or LF"},
      {"GET /_emu/health HTTP/1.1\r\n" + kHost + "X-A: o\re\r\n\r\n", "400", "BAD_REQUEST", "malformed"},
      {"GET /_emu/health HTTP/1.1\r\n" + kHost + "X-Big: " + std::string(70000, 'a') + "\r\n\r\n", "431",
       "HEADERS_TOO_LARGE", "exceed 65536 bytes"},
      {"GET /_emu/health HTTP/1.1\r\n\r\n", "400", "BAD_REQUEST", "needs a Host header"},
  };
  for (const auto& c : cases) {
    INFO(c.request.substr(0, 120));
    std::string resp = raw_exchange(emu.emu->port(), c.request, /*half_close=*/false);
    CHECK(resp.starts_with("HTTP/1.1 " + c.status + " "));
    CHECK(resp.find("Content-Type: application/json") != std::string::npos);
    CHECK(resp.find("\"code\":\"" + c.code + "\"") != std::string::npos);
    CHECK(resp.find(c.says) != std::string::npos);
    CHECK(resp.find("\r\n\r\n") == resp.rfind("\r\n\r\n"));  // one answer: nothing behind it ran
  }
  CHECK(emu.get("/api/storage/kv/app/smuggled")->status == 404);
  CHECK(emu.get("/api/storage/kv/app/k")->status == 404);
}

TEST_CASE("http: a body cut short is never handed to a handler", "[http]") {
  Emu emu;
  const std::string create = "{\"sql\":\"CREATE TABLE half(x)\"}";
  SECTION("Content-Length body ended by FIN") {
    std::string resp = raw_exchange(emu.emu->port(), put_kv("k", "Content-Length: 40\r\n", "{\"value\":\"v\"}"), true);
    CHECK(resp.starts_with("HTTP/1.1 400 "));
    CHECK(resp.find("ended after 13 bytes") != std::string::npos);
    std::string d1 = raw_exchange(emu.emu->port(),
                                  "POST /api/storage/d1/app/query HTTP/1.1\r\n" + kHost + "Content-Length: " +
                                      std::to_string(create.size() + 5) + "\r\n\r\n" + create,
                                  true);
    CHECK(d1.starts_with("HTTP/1.1 400 "));
  }
  SECTION("chunked body without its last chunk, ended by FIN") {
    std::string resp = raw_exchange(emu.emu->port(), put_kv("k", "Transfer-Encoding: chunked\r\n", "d\r\n{\"value\":\"v\"}\r\n"), true);
    CHECK(resp.starts_with("HTTP/1.1 400 "));
    CHECK(resp.find("no last chunk") != std::string::npos);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", create.size());
    std::string d1 = raw_exchange(emu.emu->port(),
                                  "POST /api/storage/d1/app/query HTTP/1.1\r\n" + kHost +
                                      "Transfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + create + "\r\n",
                                  true);
    CHECK(d1.starts_with("HTTP/1.1 400 "));
  }
  SECTION("connection reset mid-body") {
    int fd = connect_loopback(emu.emu->port());
    std::string part = put_kv("k", "Content-Length: 40\r\n", "{\"value\":\"v\"}");
    REQUIRE(::send(fd, part.data(), part.size(), 0) == ssize_t(part.size()));
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::close(fd);  // RST
    std::this_thread::sleep_for(50ms);
  }
  CHECK(emu.get("/api/storage/kv/app/k")->status == 404);
  auto tables = emu.post_json("/api/storage/d1/app/query", {{"sql", "SELECT name FROM sqlite_master WHERE name='half'"}});
  CHECK(body_json(tables)["results"].empty());
}

TEST_CASE("http: a declared body over the route's limit is refused before it is read", "[http]") {
  Emu emu;
  Socket s(emu.emu->port());
  // 1 GiB declared, nothing sent: the answer comes at once.
  s.send(put_kv("k", "Content-Length: 1073741824\r\n", ""));
  std::string resp = s.response();
  CHECK(resp.starts_with("HTTP/1.1 413 "));
  CHECK(resp.find("PAYLOAD_TOO_LARGE") != std::string::npos);
  CHECK(s.closed_by_server());
}

TEST_CASE("http: each route has its own body limit, stated in the refusal", "[http]") {
  Emu emu;
  struct Case {
    std::string method, path;
    uint64_t limit;
  };
  for (const Case& c : {Case{"PUT", "/api/storage/kv/app/k", uint64_t(64) << 20},
                        Case{"POST", "/api/storage/d1/app/query", uint64_t(32) << 20},
                        Case{"POST", "/api/storage/d1/app/batch", uint64_t(32) << 20},
                        Case{"PUT", "/api/storage/r2/files/k", uint64_t(128) << 20},
                        Case{"POST", "/_emu/seed", uint64_t(128) << 20},
                        Case{"POST", "/_emu/faults", uint64_t(1) << 20},
                        Case{"POST", "/api/resources/register", uint64_t(1) << 20}}) {
    INFO(c.method << " " << c.path);
    for (uint64_t declared : {c.limit + 1, c.limit}) {
      Socket s(emu.emu->port());
      s.send(c.method + " " + c.path + " HTTP/1.1\r\n" + kHost + "Content-Type: application/json\r\nContent-Length: " +
             std::to_string(declared) + "\r\n\r\n");
      if (declared > c.limit) {  // answered from the head alone
        std::string resp = s.response();
        CHECK(resp.starts_with("HTTP/1.1 413 "));
        CHECK(resp.find("limit of " + std::to_string(c.limit) + " bytes") != std::string::npos);
      } else {  // at the limit the server waits for the body: send a little, then hang up
        s.send("{");
        ::shutdown(s.fd, SHUT_WR);
        std::string resp = s.response();
        CHECK(resp.starts_with("HTTP/1.1 400 "));  // the body ended early: nothing done
      }
    }
  }
}

TEST_CASE("http: deeply nested JSON is a 400 naming the limit, never a crash", "[http]") {
  Emu emu;
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto kv = emu.put_json("/api/storage/kv/app/k", json::object());  // warm up
  for (const char* path : {"/api/storage/kv/app/k", "/api/storage/d1/app/query", "/api/storage/d1/app/batch",
                           "/api/resources/register", "/_emu/seed", "/_emu/faults"}) {
    INFO(path);
    auto r = emu.send(std::string(path).starts_with("/api/storage/kv") ? "PUT" : "POST", path,
                      "{\"value\":\"v\",\"metadata\":" + deep + ",\"sql\":\"SELECT 1\",\"params\":" + deep + "}");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->body.find("deeper than 128 levels") != std::string::npos);
  }
  auto r = emu.get("/api/storage/d1/app/query?sql=SELECT%201&params=" + std::string(5000, '['));
  CHECK(r->status == 400);
  CHECK(emu.get("/_emu/health")->status == 200);
}

TEST_CASE("http: header values reach handlers byte-exact", "[http]") {
  Options o;
  o.token = "s3cret";
  Emu emu(o);
  httplib::Headers auth = {{"Authorization", "Bearer s3cret"}};
  auto put = emu.put_raw("/api/r2/b/f.txt", "x", "text/plain",
                         {{"Authorization", "Bearer s3cret"},
                          {"Content-Disposition", "attachment; filename=\"a%20b.txt\""},
                          {"Cache-Control", "max-age=60, %2Fodd"},
                          {"X-Era-Meta-Note", "100%25 sure"}});
  REQUIRE(put->status == 200);
  // Read the answer off the socket: cpp-httplib 0.11's client percent-decodes header values itself.
  std::string get = raw_exchange(emu.emu->port(),
                                 "GET /api/r2/b/f.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 "Authorization: Bearer s3cret\r\nConnection: close\r\n\r\n",
                                 false);
  CHECK(get.starts_with("HTTP/1.1 200 "));
  CHECK(get.find("\r\nContent-Disposition: attachment; filename=\"a%20b.txt\"\r\n") != std::string::npos);
  CHECK(get.find("\r\nCache-Control: max-age=60, %2Fodd\r\n") != std::string::npos);
  CHECK(get.find("\r\nX-Era-Meta-note: 100%25 sure\r\n") != std::string::npos);
  // A percent-encoded space is not a space; the scheme is case-insensitive.
  CHECK(emu.get("/api/r2/b/f.txt", {{"Authorization", "Bearer%20s3cret"}})->status == 401);
  CHECK(emu.get("/api/r2/b/f.txt", {{"Authorization", "bearer s3cret"}})->status == 200);
  CHECK(emu.get("/api/r2/b/f.txt", {{"Authorization", "BEARER s3cret"}})->status == 200);
  CHECK(emu.get("/api/r2/b/f.txt", {{"Authorization", "Bearer s3cre"}})->status == 401);
}

TEST_CASE("http: Expect 100-continue is answered when the handler reads the body", "[http]") {
  Emu emu;
  Socket s(emu.emu->port());
  s.send("PUT /api/r2/b/k HTTP/1.1\r\n" + kHost + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  CHECK(s.response() == "HTTP/1.1 100 Continue\r\n\r\n");
  s.send("hello");
  std::string done = s.response();
  CHECK(done.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(emu.get("/api/r2/b/k")->body == "hello");

  // Refused before the body is read: no 100, just the answer, and the connection closes.
  s.send("PUT /api/r2/b/k2 HTTP/1.1\r\n" + kHost + "Content-Length: 5\r\nExpect: 100-continue\r\n"
         "Content-MD5: bad\r\n\r\n");
  std::string refused = s.response();
  CHECK(refused.starts_with("HTTP/1.1 400 "));
  CHECK(refused.find("R2_INVALID_DIGEST") != std::string::npos);
  CHECK(s.closed_by_server());
}

TEST_CASE("http: a client still sending a refused body reads the refusal", "[http]") {
  Emu emu;
  const std::string body(4 << 20, 'z');
  Socket s(emu.emu->port());
  // The digest is checked only after the whole body: the server reads it all, then refuses.
  s.send("PUT /api/r2/b/k HTTP/1.1\r\n" + kHost + "Content-Length: " + std::to_string(body.size()) +
         "\r\nContent-MD5: " + core::base64_encode(core::md5("other")) + "\r\n\r\n" + body);
  std::string late = s.response();
  CHECK(late.starts_with("HTTP/1.1 400 "));
  CHECK(late.find("R2_BAD_DIGEST") != std::string::npos);

  // Refused from the headers alone (a malformed digest), with 4 MiB still coming: the server
  // answers, stops writing and drains, so the client's send completes and it reads the answer.
  Socket t(emu.emu->port());
  t.send("PUT /api/r2/b/k HTTP/1.1\r\n" + kHost + "Content-Length: " + std::to_string(body.size()) +
         "\r\nContent-MD5: !!\r\n\r\n" + body);
  std::string early = t.response();
  CHECK(early.starts_with("HTTP/1.1 400 "));
  CHECK(early.find("R2_INVALID_DIGEST") != std::string::npos);
  CHECK(emu.get("/api/r2/b/k")->status == 404);
}

TEST_CASE("http: HTTP/1.0 closes unless keep-alive is asked; HEAD sends the length, no body", "[http]") {
  Emu emu;
  REQUIRE(emu.put_raw("/api/r2/b/k", "0123456789")->status == 200);
  std::string one = raw_exchange(emu.emu->port(), "GET /api/r2/b/k HTTP/1.0\r\n\r\n", false);
  CHECK(one.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(one.find("Connection: close\r\n") != std::string::npos);
  CHECK(body_of(one) == "0123456789");

  Socket s(emu.emu->port());
  s.send("HEAD /api/r2/b/k HTTP/1.1\r\n" + kHost + "\r\n");
  while (s.pending.find("\r\n\r\n") == std::string::npos) REQUIRE(s.more());
  CHECK(s.pending.find("Content-Length: 10\r\n") != std::string::npos);
  CHECK(s.pending.ends_with("\r\n\r\n"));  // no body follows on the kept-alive connection
  s.pending.clear();
  s.send("GET /_emu/health HTTP/1.1\r\n" + kHost + "\r\n");
  CHECK(s.response().starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("http: deadlines close slow heads, stalled bodies and idle connections", "[http]") {
  Options o;
  o.header_timeout_ms = 300;
  o.body_timeout_ms = 300;
  o.idle_timeout_ms = 300;
  Emu emu(o);
  auto closes_within = [](Socket& s, auto limit) {
    auto t0 = std::chrono::steady_clock::now();
    while (s.more()) {
    }
    return std::chrono::steady_clock::now() - t0 < limit;
  };
  Socket head(emu.emu->port());
  head.send("GET /_emu/health HTTP/1.1\r\nHo");
  CHECK(closes_within(head, 3s));
  Socket body(emu.emu->port());
  body.send(put_kv("k", "Content-Length: 40\r\n", "{\"value\":"));
  CHECK(closes_within(body, 3s));
  Socket idle(emu.emu->port());
  idle.send("GET /_emu/health HTTP/1.1\r\n" + kHost + "\r\n");
  CHECK(idle.response().starts_with("HTTP/1.1 200"));
  CHECK(closes_within(idle, 3s));
  CHECK(emu.get("/api/storage/kv/app/k")->status == 404);
}

TEST_CASE("http: slow and idle clients hold no thread; stop() does not wait for them", "[http]") {
  Options o;
  o.threads = 2;
  Emu emu(o);
  // 64 connections dripping a head and 64 dripping a JSON body, on a server with two threads.
  std::vector<std::unique_ptr<Socket>> slow;
  for (int i = 0; i < 64; ++i) {
    slow.push_back(std::make_unique<Socket>(emu.emu->port()));
    slow.back()->send("GET /_emu/health HTTP/1.1\r\nHost: 1");
    slow.push_back(std::make_unique<Socket>(emu.emu->port()));
    slow.back()->send(put_kv("k" + std::to_string(i), "Content-Length: 100\r\n", "{\"va"));
  }
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) REQUIRE(emu.get("/_emu/health")->status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);

  emu.http.reset();
  t0 = std::chrono::steady_clock::now();
  emu.emu->stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  for (auto& s : slow) CHECK(s->closed_by_server());
}

TEST_CASE("http: stop() while clients keep connecting is clean", "[http]") {
  // stop() closes the acceptor while an io thread may be re-arming it for the next connection:
  // the two must not race (the ASan/UBSan pass caught a close during async_accept once).
  for (int round = 0; round < 20; ++round) {
    Emu emu;  // several io threads (one per core, at least two)
    const int port = emu.emu->port();
    std::atomic<bool> done{false};
    std::atomic<int> answered{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 3; ++c)
      clients.emplace_back([&] {
        while (!done) {
          httplib::Client h("127.0.0.1", port);
          h.set_connection_timeout(1, 0);
          h.set_read_timeout(2, 0);
          if (auto r = h.Get("/_emu/health"); r && r->status == 200) ++answered;
        }
      });
    while (answered < 10 * (round % 3 + 1)) std::this_thread::yield();
    emu.http.reset();
    emu.emu->stop();
    done = true;
    for (auto& t : clients) t.join();
    // A client after the stop is refused, not left hanging.
    httplib::Client late("127.0.0.1", port);
    late.set_connection_timeout(1, 0);
    CHECK_FALSE(late.Get("/_emu/health"));
  }
}

TEST_CASE("http: a latency fault waits on a timer, not on a thread", "[http][faults]") {
  Options o;
  o.threads = 2;
  Emu emu(o);
  REQUIRE(emu.post_json("/_emu/faults", {{"service", "kv"}, {"op", "get"}, {"key", "slow"},
                                        {"action", {{"type", "latency"}, {"ms", 1500}}}})
              ->status == 201);
  std::vector<std::thread> held;
  for (int i = 0; i < 8; ++i)
    held.emplace_back([&] {
      httplib::Client c("127.0.0.1", emu.emu->port());
      c.Get("/api/storage/kv/app/slow");
    });
  std::this_thread::sleep_for(200ms);  // all eight are held now
  auto t0 = std::chrono::steady_clock::now();
  CHECK(emu.get("/api/storage/kv/app/other")->status == 404);
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  for (auto& t : held) t.join();
}

TEST_CASE("http: a slow handler holds one pool thread; quick routes and other clients go on", "[http]") {
  Options o;
  o.threads = 1;  // one handler thread for everything that may block
  Emu emu(o);
  REQUIRE(emu.put_json("/api/storage/kv/app/k", {{"value", "v"}})->status == 200);
  std::atomic<bool> slow_done{false};
  std::thread slow([&] {
    // Millions of rows through a recursive CTE: a second or more of SQLite on the only pool thread.
    auto r = slow_d1_query(emu, 8000000);
    CHECK((r && r->status == 200));
    slow_done = true;
  });
  std::this_thread::sleep_for(200ms);  // the query holds the pool now
  // KV reads and health are quick routes: they run on the event loop, not behind the query.
  int served_while_slow = 0;
  for (int i = 0; i < 20; ++i) {
    auto k = emu.get("/api/storage/kv/app/k");
    auto h = emu.get("/_emu/health");
    REQUIRE((k && k->status == 200 && h && h->status == 200));
    if (!slow_done) ++served_while_slow;
  }
  CHECK(served_while_slow == 20);
  slow.join();
}

namespace {
// Threads of this process named `name` (the server names its handler threads "era-handler").
int threads_named(const std::string& name) {
  int n = 0;
  for (auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string comm;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    n += comm == name;
  }
  return n;
}
}  // namespace

TEST_CASE("http: handler threads start on demand, up to --threads", "[http]") {
  Options o;
  o.threads = 3;
  Emu emu(o);
  // Quick routes run on the event loop: no handler thread for them.
  for (int i = 0; i < 5; ++i) REQUIRE(emu.get("/_emu/health")->status == 200);
  CHECK(threads_named("era-handler") == 0);
  // Six slow D1 queries at once: three handler threads start, no more, and all six are answered.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i)
    clients.emplace_back([&] {
      auto r = slow_d1_query(emu, 300000);
      if (r && r->status == 200) ++ok;
    });
  for (auto& t : clients) t.join();
  CHECK(ok == 6);
  CHECK(threads_named("era-handler") == 3);
}

TEST_CASE("http: the event loop runs one thread per core, from 2 to 8", "[http]") {
  Emu emu;
  REQUIRE(emu.get("/_emu/health")->status == 200);
  const int want = int(std::clamp<size_t>(std::max(1u, std::thread::hardware_concurrency()), 2, 8));
  // Each names itself as it starts: give the last one a moment.
  for (int i = 0; i < 200 && threads_named("era-io") < want; ++i) std::this_thread::sleep_for(10ms);
  CHECK(threads_named("era-io") == want);
}

TEST_CASE("http: by default the handler threads are twice the cores, from 4 to 16", "[http]") {
  const size_t n = era::default_threads();
  CHECK(n == std::clamp<size_t>(2 * std::max(1u, std::thread::hardware_concurrency()), 4, 16));
  Options o;  // threads left at 0
  REQUIRE(o.threads == 0);
  Emu emu(o);
  // More slow queries at once than that: n threads start, no more, and every query is answered.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (size_t i = 0; i < n + 2; ++i)
    clients.emplace_back([&] {
      auto r = slow_d1_query(emu, 300000);
      if (r && r->status == 200) ++ok;
    });
  for (auto& t : clients) t.join();
  CHECK(ok == int(n + 2));
  CHECK(threads_named("era-handler") == int(n));
}

TEST_CASE("http: Host must name this server (DNS rebinding)", "[http][security]") {
  Options o;
  o.allow_hosts = {"emu.internal"};
  Emu emu(o);
  auto with_host = [&](const std::string& host) {
    return raw_exchange(emu.emu->port(), "GET /_emu/health HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n", false);
  };
  for (std::string ok : {"127.0.0.1", "127.0.0.1:8787", "localhost", "LOCALHOST:1", "[::1]:80", "app.localhost", "emu.internal:9"}) {
    INFO(ok);
    CHECK(with_host(ok).starts_with("HTTP/1.1 200"));
  }
  for (std::string bad : {"evil.example", "evil.example:8787", "127.0.0.1.nip.io", "localhost.evil.example"}) {
    INFO(bad);
    std::string r = with_host(bad);
    CHECK(r.starts_with("HTTP/1.1 403"));
    CHECK(r.find("HOST_NOT_ALLOWED") != std::string::npos);
  }
}

TEST_CASE("http: a web page from another origin cannot drive the emulator", "[http][security]") {
  Emu emu;
  REQUIRE(emu.put_json("/api/storage/kv/app/keep", {{"value", "v"}})->status == 200);
  std::string port = std::to_string(emu.emu->port());
  struct Attempt { std::string method, path, headers, body; };
  std::vector<Attempt> attempts = {
      {"POST", "/_emu/reset", "Origin: http://evil.example\r\nContent-Type: text/plain\r\n", "{}"},
      {"POST", "/_emu/faults", "Origin: null\r\nContent-Type: text/plain\r\n",
       R"({"service":"*","action":{"type":"error"}})"},
      {"PUT", "/api/storage/kv/app/keep", "Origin: http://localhost:3000\r\n", R"({"value":"pwned"})"},
      {"GET", "/api/storage/d1/app/query?sql=DROP%20TABLE%20t", "Sec-Fetch-Site: cross-site\r\n", ""},
      {"POST", "/api/storage/d1/app/query", "Sec-Fetch-Site: cross-site\r\nContent-Type: text/plain\r\n",
       R"j({"sql":"CREATE TABLE pwned(x)"})j"},
  };
  for (const auto& a : attempts) {
    INFO(a.method << " " << a.path << " " << a.headers);
    std::string r = raw_exchange(emu.emu->port(),
                                 a.method + " " + a.path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n" + a.headers +
                                     "Content-Length: " + std::to_string(a.body.size()) + "\r\nConnection: close\r\n\r\n" + a.body,
                                 false);
    CHECK(r.starts_with("HTTP/1.1 403"));
    CHECK(r.find("ORIGIN_NOT_ALLOWED") != std::string::npos);
  }
  CHECK(body_json(emu.get("/api/storage/kv/app/keep"))["value"] == "v");
  CHECK(body_json(emu.get("/_emu/faults"))["faults"].empty());
  // Same origin (the page is served by era-emu itself) and same-origin fetch metadata pass.
  std::string same = raw_exchange(emu.emu->port(),
                                  "GET /api/storage/kv/app/keep HTTP/1.1\r\nHost: 127.0.0.1:" + port +
                                      "\r\nOrigin: http://127.0.0.1:" + port +
                                      "\r\nSec-Fetch-Site: same-origin\r\nConnection: close\r\n\r\n",
                                  false);
  CHECK(same.starts_with("HTTP/1.1 200"));
  // GET never changes state, whoever sends it.
  auto drop = emu.get("/api/storage/d1/app/query?sql=CREATE%20TABLE%20t(x)");
  CHECK(drop->status == 405);
  CHECK(drop->body.find("D1_READ_ONLY_GET") != std::string::npos);
}

TEST_CASE("http: --cors-origin lets a chosen origin call the API, with preflight", "[http][security]") {
  Options o;
  o.cors_origins = {"http://localhost:3000"};
  Emu emu(o);
  auto pre = emu.send("OPTIONS", "/api/storage/kv/app/k", "",
                      {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "PUT"},
                       {"Access-Control-Request-Headers", "content-type, x-era-location"}});
  CHECK(pre->status == 204);
  CHECK(pre->get_header_value("Access-Control-Allow-Origin") == "http://localhost:3000");
  CHECK(pre->get_header_value("Access-Control-Allow-Headers") == "content-type, x-era-location");
  auto put = emu.put_json("/api/storage/kv/app/k", {{"value", "v"}}, {{"Origin", "http://localhost:3000"}});
  CHECK(put->status == 200);
  CHECK(put->get_header_value("Access-Control-Allow-Origin") == "http://localhost:3000");
  auto other = emu.send("OPTIONS", "/api/storage/kv/app/k", "",
                        {{"Origin", "http://localhost:4000"}, {"Access-Control-Request-Method", "PUT"}});
  CHECK(other->status == 403);
}

TEST_CASE("http: public and signed links answer CORS per the bucket's rules", "[http][security]") {
  TempDir dir;
  std::string cfg = (dir.path / "era-emu.json").string();
  {
    std::ofstream f(cfg);
    f << R"({"buckets": [{"name": "site", "access": "public", "cors": [
           {"allowed": {"origins": ["http://localhost:3000"], "methods": ["GET", "PUT"], "headers": ["content-type"]},
            "exposeHeaders": ["ETag"], "maxAgeSeconds": 600}]},
           {"name": "closed", "access": "public"}]})";
  }
  Options o;
  o.config_file = cfg;
  Emu emu(o);
  REQUIRE(emu.put_raw("/api/r2/site/a.txt", "hi", "text/plain")->status == 200);
  REQUIRE(emu.put_raw("/api/r2/closed/a.txt", "hi", "text/plain")->status == 200);

  auto pre = emu.send("OPTIONS", "/public/site/a.txt", "",
                      {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "GET"}});
  CHECK(pre->status == 204);
  CHECK(pre->get_header_value("Access-Control-Allow-Origin") == "http://localhost:3000");
  CHECK(pre->get_header_value("Access-Control-Max-Age") == "600");
  auto get = emu.get("/public/site/a.txt", {{"Origin", "http://localhost:3000"}});
  CHECK(get->status == 200);
  CHECK(get->get_header_value("Access-Control-Allow-Origin") == "http://localhost:3000");
  CHECK(get->get_header_value("Access-Control-Expose-Headers") == "ETag");

  // A method or header the rule does not list, another origin, a bucket without rules: refused.
  CHECK(emu.send("OPTIONS", "/public/site/a.txt", "",
                 {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "DELETE"}})->status == 403);
  CHECK(emu.send("OPTIONS", "/public/site/a.txt", "",
                 {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "PUT"},
                  {"Access-Control-Request-Headers", "x-secret"}})->status == 403);
  CHECK(emu.send("OPTIONS", "/public/site/a.txt", "",
                 {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "GET"}})->status == 403);
  CHECK(emu.send("OPTIONS", "/public/closed/a.txt", "",
                 {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "GET"}})->status == 403);
  auto plain = emu.get("/public/closed/a.txt", {{"Origin", "http://localhost:3000"}});
  CHECK(plain->status == 200);  // the link works; the browser just may not read it
  CHECK(!plain->has_header("Access-Control-Allow-Origin"));
}

TEST_CASE("json depth: a deep era-emu.json or seed file stops start-up with the reason, never a crash",
          "[http][json]") {
  TempDir dir;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto write = [&](const char* name, const std::string& text) {
    auto p = dir.path / name;
    std::ofstream(p) << text;
    return p.string();
  };
  Options o;
  o.port = 0;
  o.memory = true;
  o.config_file = write("era-emu.json", "{\"kv\": " + deep + "}");
  auto bad_config = Emulator::start(o);
  REQUIRE_FALSE(bad_config);
  CHECK(bad_config.error().message.find("deeper than 128 levels") != std::string::npos);
  o.config_file.clear();
  o.seed_files = {write("seed.json", "{\"kv\": {\"app\": {\"k\": " + deep + "}}}")};
  auto bad_seed = Emulator::start(o);
  REQUIRE_FALSE(bad_seed);
  CHECK(bad_seed.error().message.find("deeper than 128 levels") != std::string::npos);
}
